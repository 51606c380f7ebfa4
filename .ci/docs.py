#!/usr/bin/env python3
"""The docs' walkthroughs, tested.

  docs.py run <binary>      run every walkthrough verbatim against a fresh sandbox service and
                            check the outputs the docs show (`# → …` after a command)
  docs.py check <out>       (used by run) whether a saved output shows its expectation
  docs.py typescript <dir>  write <dir>/calls.ts: every documented API call, typed by the client
                            openapi-typescript generates from docs/openapi.json (tsc --strict)

A walkthrough is a ```sh or ```bash block that talks to the service (`$B/`). README's own
walkthrough runs first in each doc's shell (the docs start "as the README says").
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "docs/CUSTOMERS.md", "docs/TEMPLATES.md", "docs/MEDIA.md", "docs/TURNS.md", "docs/WEBHOOKS.md", "docs/INBOX.md"]


def blocks(path):
    """The walkthrough blocks of a markdown file, in order."""
    out, cur, lang = [], None, None
    for line in (ROOT / path).read_text().splitlines():
        m = re.match(r"^```(\w*)\s*$", line)
        if m and cur is None:
            cur, lang = [], m.group(1)
        elif line.startswith("```") and cur is not None:
            text = "\n".join(cur)
            if lang in ("sh", "bash") and "$B/" in text:
                out.append(text)
            cur = None
        elif cur is not None:
            cur.append(line)
    return out


def open_quote(text):
    """Whether `text` ends inside a single- or double-quoted string (shell rules, roughly)."""
    q = None
    i = 0
    while i < len(text):
        c = text[i]
        if q is None:
            if c == "#" and (i == 0 or text[i - 1] in " \t\n"):
                while i < len(text) and text[i] != "\n":
                    i += 1
                continue
            if c in "'\"":
                q = c
            elif c == "\\":
                i += 1
        elif c == q:
            q = None
        elif q == '"' and c == "\\":
            i += 1
        i += 1
    return q is not None


def steps(block):
    """(command, expectation or None) pairs: a command is one shell line with its continuations;
    its expectation is the `# → …` comment after it (with its indented continuation lines)."""
    out, cmd, exp = [], [], None
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if cmd and (cmd[-1].endswith("\\") or open_quote("\n".join(cmd))):
            cmd.append(line)
            i += 1
            continue
        if cmd:
            out.append(["\n".join(cmd), None])
            cmd = []
        stripped = line.strip()
        if stripped.startswith("# →") and out:
            exp = [stripped[3:].strip()]
            while i + 1 < len(lines) and re.match(r"^\s*#\s{2,}\S", lines[i + 1]):
                i += 1
                exp.append(lines[i].strip()[1:].strip())
            out[-1][1] = " ".join(exp)
        elif stripped and not stripped.startswith("#"):
            cmd = [line]
        i += 1
    if cmd:
        out.append(["\n".join(cmd), None])
    return out


# ------------------------------------------------------------------------------------ checking

PAIR = re.compile(r'"([A-Za-z_][\w.]*)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')
CODE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
HEADER = re.compile(r"\b([a-z][a-z-]+): ([^,…]+?)(?=,|$)")


def check(expected, output, status):
    """What the doc shows that the output lacks (empty: it matches)."""
    missing = []
    compact = re.sub(r'"\s*:\s*', '":', output)
    m = re.match(r"^(\d{3})\b", expected)
    if m and m.group(1) != status:
        missing.append(f"status {m.group(1)} (got {status})")
    for key, value in PAIR.findall(expected):
        if "…" in value or "..." in value:
            continue
        if f'"{key}":{value}' not in compact:
            missing.append(f'"{key}": {value}')
    for code in CODE.findall(expected):
        if code not in output:
            missing.append(code)
    if output.startswith("HTTP/"):
        head = output.split("\r\n\r\n")[0].lower()
        for name, value in HEADER.findall(expected.split("{")[0]):
            if f"{name}: {value.strip().lower()}" not in head:
                missing.append(f"{name}: {value.strip()}")
    return missing


def read_only(cmd):
    """Whether a command only reads the service (a curl with no method other than GET and no body)."""
    if not cmd.lstrip().startswith("curl"):
        return False
    words = cmd.split()
    return not any(w in ("-d", "--data", "--data-binary", "-F", "--form", "-T", "--upload-file") or w.startswith("--data")
                   for w in words) and not re.search(r"-\w*X\s*(?!GET\b)[A-Z]+", cmd)


def check_file(out):
    """`docs.py check <out>`: exit 0 when the output saved in <out> shows the expectation in <out>.exp."""
    status = Path(out + ".status").read_text().strip() if Path(out + ".status").exists() else ""
    text = Path(out).read_text() if Path(out).exists() else ""
    sys.exit(1 if status == "000" or check(Path(out + ".exp").read_text(), text, status) else 0)


# ------------------------------------------------------------------------------------ running

def serve(binary, work):
    port = 18090 + os.getpid() % 500
    env = dict(os.environ, SANDBOX="1", BIND_ADDR=f"127.0.0.1:{port}", DATABASE_URL=f"sqlite://{work}/docs.db?mode=rwc",
               MEDIA_STORE_URL=f"{work}/media", RUST_LOG="error")
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=open(f"{work}/service.log", "w"), stderr=subprocess.STDOUT)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
            return proc, port
        except Exception:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the service did not start: {Path(work, 'service.log').read_text()}")


def run_doc(binary, doc, prelude):
    work = tempfile.mkdtemp(prefix="docs-")
    proc, port = serve(binary, work)
    try:
        script = [
            "set -u",
            f"cd {shlex.quote(work)}",
            f'STATUS={shlex.quote(work)}/status; : > "$STATUS"',
            # Every curl also notes its HTTP status (stderr of -w), so an expectation can check it.
            "curl() { command curl -w '%{stderr}%{http_code}\\n' \"$@\" 2>>\"$STATUS\"; }",
        ]
        checks = []
        for source, block in prelude + [(doc, b) for b in blocks(doc)]:
            for n, (cmd, exp) in enumerate(steps(block)):
                cmd = cmd.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
                out = f"{work}/out.{len(checks)}"
                run_once = f"{{\n{cmd}\n}} > {shlex.quote(out)} 2>&1; echo \"$(tail -n1 \"$STATUS\")\" > {shlex.quote(out)}.status"
                if exp is not None and read_only(cmd):
                    # What a webhook changes shows once the worker processed it: a read that
                    # does not show it yet is asked again, for up to 15 s (never a write).
                    Path(out + ".exp").write_text(exp)
                    again = f"python3 {shlex.quote(str(Path(__file__).resolve()))} check {shlex.quote(out)}"
                    script.append(f"for _try in $(seq 30); do {run_once}; {again} && break; sleep 0.5; done")
                else:
                    script.append(run_once)
                checks.append((source, cmd, exp, out))
        Path(work, "walk.sh").write_text("\n".join(script) + "\n")
        r = subprocess.run(["bash", f"{work}/walk.sh"], capture_output=True, text=True, timeout=600)
        failures = []
        for source, cmd, exp, out in checks:
            status = Path(out + ".status").read_text().strip() if Path(out + ".status").exists() else ""
            text = Path(out).read_text() if Path(out).exists() else ""
            first = cmd.splitlines()[0]
            if status == "000":
                failures.append(f"{source}: {first}\n    did not reach the service: {text[:300]}")
            elif exp is not None and (missing := check(exp, text, status)):
                failures.append(f"{source}: {first}\n    the doc shows: {exp}\n    missing: {missing}\n    got ({status}): {text[:600]}")
        if r.returncode != 0:
            failures.append(f"the walk script failed ({r.returncode}): {r.stderr[-1000:]}")
        return len(checks), sum(1 for c in checks if c[2]), failures
    finally:
        proc.kill()
        proc.wait()


def run(binary):
    readme = [("README.md", b) for b in blocks("README.md")]
    failed = False
    for doc in DOCS:
        prelude = [] if doc == "README.md" else readme
        commands, expectations, failures = run_doc(binary, doc, prelude)
        print(f"{doc}: {commands} commands (with README's first), {expectations} outputs checked, {len(failures)} failures")
        for f in failures:
            print("  - " + f)
        failed |= bool(failures)
    sys.exit(1 if failed else 0)


# ------------------------------------------------------------------------------------ typescript

def shell_words(cmd):
    """The words of a curl command, with shell variables as placeholders."""
    cmd = cmd.replace("\\\n", " ")
    cmd = re.sub(r"'\"\$\{?(\w+)\}?\"'", r"DOCVAR_\1", cmd)  # '…'"$X"'…' inside a single-quoted body
    try:
        return shlex.split(cmd, comments=False)
    except ValueError:
        return []


def typescript(outdir):
    spec = json.loads((ROOT / "docs/openapi.json").read_text())
    routes = []
    for path, ops in spec["paths"].items():
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/?]+", re.escape(path)) + "$"
        routes.append((re.compile(rx), path, ops))
    lines = ['import type { paths } from "./schema";', "",
             "type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: infer R }",
             '  ? NonNullable<R> extends { content: { "application/json; charset=utf-8": infer B } } ? B : never : never;',
             "type Query<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;",
             ""]
    n = 0
    for doc in DOCS:
        for block in blocks(doc):
            for cmd, _ in steps(block):
                for at in [m.start() for m in re.finditer(r"\bcurl ", cmd)]:
                    words = shell_words(cmd[at:])
                    if "|" in words:
                        words = words[: words.index("|")]
                    url = next((w for w in words if "/api/v1/" in w), None)
                    if not url:
                        continue
                    method = "get"
                    if "-X" in words:
                        method = words[words.index("-X") + 1].lower()
                    body = words[words.index("-d") + 1] if "-d" in words else None
                    path, _, query = url.split("/api/v1/", 1)[1].partition("?")
                    path = "/api/v1/" + path
                    match = next(((p, ops) for rx, p, ops in routes if rx.match(path) and method in ops), None)
                    if match is None:
                        raise SystemExit(f"{doc}: {method.upper()} {path} is not in the spec")
                    spec_path, ops = match
                    op = ops[method]
                    n += 1
                    lines.append(f"// {doc}: {op['operationId']}")
                    if body is not None:
                        ct = op.get("requestBody", {}).get("content", {})
                        if "application/json; charset=utf-8" in ct:
                            value = json.loads(re.sub(r"DOCVAR_\w+", "00000000-0000-0000-0000-000000000000", body))
                            lines.append(f'export const body{n}: Body<"{spec_path}", "{method}"> = {json.dumps(value)};')
                    if query:
                        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
                        q = {}
                        for pair in query.split("&"):
                            k, _, v = pair.partition("=")
                            v = urllib.parse.unquote(v)
                            schema = params.get(k, {}).get("schema", {})
                            if k not in params:
                                raise SystemExit(f"{doc}: {op['operationId']} has no query parameter {k}")
                            t = schema.get("type")
                            val = int(v) if t == "integer" else (v == "true") if t == "boolean" else v
                            if t == "array":
                                q.setdefault(k, []).append(v)
                            else:
                                q[k] = val
                        lines.append(f'export const query{n}: Query<"{spec_path}", "{method}"> = {json.dumps(q)};')
    Path(outdir, "calls.ts").write_text("\n".join(lines) + "\n")
    print(f"{n} documented calls typed")


if __name__ == "__main__":
    import urllib.parse  # noqa: E402
    if len(sys.argv) == 3 and sys.argv[1] == "run":
        run(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "typescript":
        typescript(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check_file(sys.argv[2])
    else:
        raise SystemExit(__doc__)
