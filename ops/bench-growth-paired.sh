#!/usr/bin/env bash
# Growth, paired (issue 12): no-op throughput and start latency on an empty `jobs` against one
# holding 10,000,000 finished rows, two databases on one private cluster, alternating 5 times.
#   bash ops/bench-growth-paired.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh
swift build -c release --product nightshift >/dev/null
NS=$(swift build -c release --show-bin-path)/nightshift
D=$(mktemp -d /tmp/paired.XXXX); chmod 755 $D
pg_local_start "$D/pg" on
trap 'pg_local_stop; rm -rf $D' EXIT
BASE="postgres://postgres@127.0.0.1:$PG_LOCAL_PORT"
psql -qAt -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift -c "CREATE DATABASE history"
DATABASE_URL="$BASE/nightshift" "$NS" migrate >/dev/null 2>&1
DATABASE_URL="$BASE/history" "$NS" migrate >/dev/null 2>&1
psql -qAt -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d history -c "INSERT INTO jobs (kind, queue, state, attempt, run_at, created_at, attempted_at, finished_at) SELECT 'noop', 'history', 'succeeded', 1, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', now() - interval '1 day' + (n % 1000) * interval '1 ms' FROM generate_series(1, 10000000) AS n" -c "VACUUM ANALYZE jobs" -c "CHECKPOINT"
echo "== $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD); history db: $(psql -qAt -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d history -c "SELECT count(*) FROM jobs") rows"
for round in 1 2 3 4 5; do
  for db in nightshift history; do
    r=$(DATABASE_URL="$BASE/$db" "$NS" bench --jobs 50000 --rounds 1 --pgbench-clients 0 --single-jobs 500 --latency-jobs 1000 2>&1 | grep "round 1\|latency" | tr '\n' ' ' | sed 's/  */ /g')
    echo "round $round $db: $r"
  done
done
