#!/usr/bin/env bash
# The reference run for docs/BENCHMARKS.md: what Postgres alone does on this machine, now.
#   bench/pgbench/run.sh [seconds] [clients]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-10}"; clients="${2:-64}"
db="${PGBENCH_DB:-postgres}"
psql -q -h 127.0.0.1 -U postgres -d "$db" -f setup.sql
echo "== one-row insert per transaction, $clients clients, $secs s"
pgbench -n -h 127.0.0.1 -U postgres -c "$clients" -j 2 -T "$secs" -f insert_one.sql "$db" | grep -E "^tps|latency average"
echo "== 50-row insert per transaction, $clients clients, $secs s (rows/s = tps x 50)"
pgbench -n -h 127.0.0.1 -U postgres -c "$clients" -j 2 -T "$secs" -f insert_50.sql "$db" | grep -E "^tps|latency average"
psql -q -h 127.0.0.1 -U postgres -d "$db" -c "DROP TABLE pgbench_inbox"
