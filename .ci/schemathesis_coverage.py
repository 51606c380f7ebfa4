#!/usr/bin/env python3
"""Which operations of the spec never got a 2xx answer in a schemathesis run (its HAR report).
An operation that only ever answers errors is not tested past its validation: the run fails.

  schemathesis_coverage.py <openapi.json> <run.har> [operation answered 2xx by the script ...]
"""
import json
import re
import sys
from urllib.parse import urlparse


def main(spec_path, har_path, *checked_by_script):
    spec = json.load(open(spec_path))
    routes = []
    for path, ops in spec["paths"].items():
        rx = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, op in ops.items():
            routes.append((rx, method.upper(), op["operationId"]))
    seen = {op: set() for _, _, op in routes}
    for entry in json.load(open(har_path))["log"]["entries"]:
        path = urlparse(entry["request"]["url"]).path
        method = entry["request"]["method"].upper()
        for rx, m, op in routes:
            if m == method and rx.match(path):
                seen[op].add(entry["response"]["status"])
                break
    for op in checked_by_script:
        seen[op].add(200)
    never = sorted(op for op, statuses in seen.items() if not any(200 <= s < 300 for s in statuses))
    print(f"{len(seen) - len(never)}/{len(seen)} operations answered 2xx at least once")
    for op in never:
        print(f"  never 2xx: {op} (answered {sorted(seen[op]) or 'nothing'})")
    sys.exit(1 if never else 0)


if __name__ == "__main__":
    main(*sys.argv[1:])
