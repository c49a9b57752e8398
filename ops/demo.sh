#!/usr/bin/env bash
# The tour: builds Nightshift (the first debug build takes 10-20 minutes on two cores; later
# runs a few seconds), starts a private PostgreSQL under .nightshift-demo/ (and a local
# S3-compatible server when moto can be had), migrates, enqueues demo jobs (one waiting for
# another, one snoozing), seeds a studio, closes last month, runs every schedule's slot now,
# lets a worker drain them, shows the history, then serves the dashboard and prints its URL, a
# token to sign in with, and the two lines that point a second shell's CLI at this database.
# The demo stays up until Ctrl-C or SIGTERM, with or without a terminal; its database goes
# with it.
#   bash ops/demo.sh               # the tour, then the dashboard until Ctrl-C
#   DEMO_SERVE=0 bash ops/demo.sh  # the tour only
set -euo pipefail
cd "$(dirname "$0")/.."
# psql prints straight to the terminal: no pager waits for a key.
export PAGER=cat PSQL_PAGER=cat
source ops/pg-local.sh
source ops/s3-local.sh

DEMO_DIR="$PWD/.nightshift-demo"
rm -rf "$DEMO_DIR"; mkdir -p "$DEMO_DIR"; chmod 755 "$DEMO_DIR"
WORKER_PID=""; SERVE_PID=""
cleanup() {
    for pid in $WORKER_PID $SERVE_PID; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    s3_local_stop
    pg_local_stop
}
drain() { # waits until no job is left to run
    for _ in $(seq 1 600); do
        left="$(psql -At -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift \
            -c "SELECT count(*) FROM jobs WHERE state NOT IN ('succeeded', 'discarded', 'cancelled')")"
        [ "$left" = "0" ] && return 0
        sleep 0.1
    done
    echo "jobs still left after 60 s" >&2
}
trap cleanup EXIT

pg_local_build_deps
echo "== building (the first build takes 10-20 minutes on two cores)"
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
echo "-- a job that waits for another (a dependency): pending until job 1 succeeds"
"$NS" enqueue noop --args '{"n": 6}' --after 1
echo "-- a bad job is refused before it is written, naming the field:"
"$NS" enqueue no-such-kind 2>&1 | head -1 || true
"$NS" enqueue backup-month --args '{"year": 2026, "month": 13}' 2>&1 | head -1 || true
"$NS" enqueue backup-month --args '{"yaer": 2026, "month": 10}' 2>&1 | head -1 || true

echo "== the studio: three months of records, then last month's close as jobs"
export BACKUP_DIR="$DEMO_DIR/backups"
"$NS" demo seed --months 3 --rows-per-month 400
LAST_MONTH="$(TZ=America/Sao_Paulo date -d "$(date +%Y-%m-15) -1 month" +%Y-%m)"
YEAR="${LAST_MONTH%-*}"; MONTH="$((10#${LAST_MONTH#*-}))"
# As the scheduler does it: the backup, and the extrato waiting for it (a job dependency).
"$NS" enqueue backup-month --args "{\"year\": $YEAR, \"month\": $MONTH}" --unique-key "backup-month:$LAST_MONTH"
"$NS" enqueue generate-extrato --args "{\"year\": $YEAR, \"month\": $MONTH}" --priority 1 --unique-key "generate-extrato:$LAST_MONTH" \
    --after "backup-month:$LAST_MONTH"

echo "== nightshift worker (until every demo job is finished)"
LOG_LEVEL=warning "$NS" worker --retry-base 200ms --concurrency 4 &
WORKER_PID=$!
drain

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

echo; echo "== the database backups: a bucket when a local S3-compatible server can be had"
if s3_local_start "$DEMO_DIR/s3" >/dev/null 2>&1 && python3 -c "
import boto3, os
boto3.client('s3', endpoint_url=os.environ['BACKUP_S3_ENDPOINT'], region_name=os.environ['BACKUP_S3_REGION'],
             aws_access_key_id=os.environ['BACKUP_S3_ACCESS_KEY'], aws_secret_access_key=os.environ['BACKUP_S3_SECRET_KEY']).create_bucket(
    Bucket='demo', CreateBucketConfiguration={'LocationConstraint': os.environ['BACKUP_S3_REGION']})" >/dev/null 2>&1; then
    export BACKUP_S3_BUCKET=demo
    echo "   moto's S3 server at $BACKUP_S3_ENDPOINT, bucket demo (signatures checked)"
else
    unset BACKUP_S3_ENDPOINT BACKUP_S3_ACCESS_KEY BACKUP_S3_SECRET_KEY
    echo "   no S3-compatible server here (pip install 'moto[server]' for one): dumps and metrics go to the local-directory store"
fi
# The worker restarts with the store's settings; the scheduler's slots are run now, by hand.
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" || true
LOG_LEVEL=warning "$NS" worker --retry-base 200ms &
WORKER_PID=$!
echo "== nightshift schedules run (each schedule's latest slot, now)"
for schedule in nightly-dump push-metrics restore-drill prune-cloud; do "$NS" schedules run "$schedule"; done
drain   # the drill snoozes until the dump it restores has finished
echo; echo "== nightshift backups list"
"$NS" backups list
echo; echo "== nightshift queue stats"
"$NS" queue stats

[ "${DEMO_SERVE:-1}" = "1" ] || exit 0
echo; echo "== the dashboard: nightshift serve"
export JWT_SECRET_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PORT="$(pg_local_free_port)"
LOG_LEVEL=warning "$NS" serve --port "$PORT" &
SERVE_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN="$("$NS" token create --subject demo-operator --role operator --days 1)"
echo "   open http://127.0.0.1:$PORT/ and sign in with this token (operator, valid for a day):"
echo "   $TOKEN"
echo
echo "   In a second shell, point the CLI at this demo's database:"
echo "     export DATABASE_URL='$DATABASE_URL' BACKUP_DIR='$BACKUP_DIR'"
echo "     alias nightshift='$NS'    # then: nightshift jobs list, nightshift queue pause default, …"
echo
echo "   The demo stays up until Ctrl-C (or SIGTERM); its database and files in $DEMO_DIR go with it."
trap 'exit 0' INT TERM
while kill -0 "$SERVE_PID" 2>/dev/null; do sleep 1 & wait $!; done
