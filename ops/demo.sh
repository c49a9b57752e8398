#!/usr/bin/env bash
# The two-minute tour: builds Nightshift, starts a private PostgreSQL under .nightshift-demo/,
# migrates, enqueues demo jobs, runs a worker until they finish and shows the history.
#   bash ops/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh

DEMO_DIR="$PWD/.nightshift-demo"
rm -rf "$DEMO_DIR"; mkdir -p "$DEMO_DIR"; chmod 755 "$DEMO_DIR"
WORKER_PID=""
cleanup() {
    [ -n "$WORKER_PID" ] && kill -TERM "$WORKER_PID" 2>/dev/null && wait "$WORKER_PID" 2>/dev/null || true
    pg_local_stop
}
trap cleanup EXIT

pg_local_build_deps
echo "== building"
swift build --product nightshift 2>&1 | tail -1
NS="$(swift build --show-bin-path)/nightshift"

echo "== starting a private PostgreSQL in $DEMO_DIR"
pg_local_start "$DEMO_DIR/pg" on
echo "   DATABASE_URL=$DATABASE_URL"

echo "== nightshift migrate"
"$NS" migrate

echo "== enqueuing demo jobs"
for i in 1 2 3 4 5; do "$NS" enqueue noop --args "{\"n\": $i}"; done
"$NS" enqueue noop --unique-key demo:daily-report
"$NS" enqueue noop --unique-key demo:daily-report          # idempotent: the same job again
"$NS" enqueue demo-flaky --args '{"failTimes": 2}' --max-attempts 5  # fails twice, then succeeds
"$NS" enqueue demo-flaky --args '{"failTimes": 9}' --max-attempts 2  # fails for good: discarded
"$NS" enqueue demo-sleep --args '{"milliseconds": 200}' --in 2s     # scheduled, runs in 2 s
echo "-- a bad job is refused before it is written, naming the field:"
"$NS" enqueue no-such-kind 2>&1 | head -1 || true
"$NS" enqueue backup-month --args '{"year": 2026, "month": 13}' 2>&1 | head -1 || true

echo "== the studio: three months of records, then last month's close as jobs"
export BACKUP_DIR="$DEMO_DIR/backups"
"$NS" demo seed --months 3 --rows-per-month 400
LAST_MONTH="$(TZ=America/Sao_Paulo date -d "$(date +%Y-%m-15) -1 month" +%Y-%m)"
YEAR="${LAST_MONTH%-*}"; MONTH="$((10#${LAST_MONTH#*-}))"
# The extrato job is enqueued first on purpose: it refuses to run until the backup verifies.
"$NS" enqueue generate-extrato --args "{\"year\": $YEAR, \"month\": $MONTH}" --priority 1 --unique-key "generate-extrato:$LAST_MONTH"
"$NS" enqueue backup-month --args "{\"year\": $YEAR, \"month\": $MONTH}" --unique-key "backup-month:$LAST_MONTH"

echo "== nightshift worker (until every demo job is finished)"
LOG_LEVEL=warning "$NS" worker --retry-base 200ms --concurrency 4 &
WORKER_PID=$!
for _ in $(seq 1 300); do
    left="$(psql -At -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift \
        -c "SELECT count(*) FROM jobs WHERE state NOT IN ('succeeded', 'discarded', 'cancelled')")"
    [ "$left" = "0" ] && break
    sleep 0.1
done
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" || true; WORKER_PID=""

echo; echo "== nightshift jobs list"
"$NS" jobs list
echo; echo "== nightshift queue stats"
"$NS" queue stats
echo; echo "== nightshift jobs show (the job that failed twice, then succeeded)"
"$NS" jobs show "$(psql -At -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift -c "SELECT id FROM jobs WHERE kind = 'demo-flaky' AND state = 'succeeded' LIMIT 1")"
echo; echo "== nightshift backup info / verify --year $YEAR --month $MONTH"
"$NS" backup info --year "$YEAR" --month "$MONTH"
"$NS" backup verify --year "$YEAR" --month "$MONTH"
echo; echo "== nightshift extrato show --year $YEAR --month $MONTH"
"$NS" extrato show --year "$YEAR" --month "$MONTH"
echo; echo "== extrato_runs (one row per close attempt)"
psql -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift -c "SELECT ano, mes, status, pagamentos_moved, sessoes_moved, comissoes_moved, gastos_moved, duration_ms, left(coalesce(error, message), 60) AS note FROM extrato_runs ORDER BY id"
echo; echo "== nightshift schedules list"
"$NS" schedules list
echo; echo "== history with plain SQL (ops/queries/failures.sql)"
psql -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift -f ops/queries/failures.sql
