#!/usr/bin/env bash
# Runs every test against a private PostgreSQL, a PgBouncer in front of it and a private
# S3-compatible server (moto) that this script installs when missing, starts and removes.
#   bash ops/test.sh [extra `swift test` arguments, e.g. --filter Cron]
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh
source ops/s3-local.sh
source ops/pgbouncer-local.sh

TEST_ROOT="$(mktemp -d /tmp/nightshift-test.XXXXXX)"
chmod 755 "$TEST_ROOT"
cleanup() { s3_local_stop; pgbouncer_local_stop; pg_local_stop; rm -rf "$TEST_ROOT"; }
trap cleanup EXIT

pg_local_build_deps
# Headless Chromium loads the dashboard in its test.
if ! command -v chromium >/dev/null 2>&1; then
    echo "chromium not found: installing it from Debian's packages" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >&2
fi
# The standard `age` tool, to check that our encrypted backups interoperate both ways.
if ! command -v age >/dev/null 2>&1 || ! command -v age-keygen >/dev/null 2>&1; then
    echo "age not found: installing it from Debian's packages" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq age >&2
fi
# promtool (Debian's prometheus package) checks the alert rules and runs their unit tests.
if ! command -v promtool >/dev/null 2>&1; then
    echo "promtool not found: installing Debian's prometheus package" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >&2
    # The package starts its own server where a service manager runs; the tests need only promtool.
    $sudo systemctl stop prometheus >/dev/null 2>&1 || true
fi
# Independent peers the tests check against: PyJWT (tokens from another JWT library) and
# prometheus_client (the reference parser of /metrics).
python3 -c "import jwt, prometheus_client" 2>/dev/null || python3 -m pip install --quiet PyJWT prometheus-client
# pip's user installs land here when it is not run as root.
export PATH="$HOME/.local/bin:$PATH"
# check-jsonschema validates docker-compose.yml against the compose specification.
command -v check-jsonschema >/dev/null 2>&1 || python3 -m pip install --quiet check-jsonschema
echo "== alert rules: promtool check and unit tests (ops/monitoring/prometheus-rules.test.yml)"
promtool check rules ops/monitoring/prometheus-rules.yml >/dev/null
promtool test rules ops/monitoring/prometheus-rules.test.yml
echo "== module graph: every target declares what it imports"
python3 ops/check-imports.py
echo "== read side: no query on jobs or queue_pauses under Sources/API or Sources/Monitoring"
python3 ops/check-sql-rooms.py
echo "== building (debug, with tests)"
swift build --build-tests --explicit-target-dependency-import-check error

echo "== starting PostgreSQL in $TEST_ROOT"
pg_local_start "$TEST_ROOT/pg" off
export NIGHTSHIFT_TEST_DATABASE_URL="$DATABASE_URL"
export NIGHTSHIFT_BIN="$(swift build --show-bin-path)/nightshift"
export NIGHTSHIFT_MIGRATIONS_DIR="$PWD/Migrations"
echo "   $DATABASE_URL"

echo "== starting PgBouncer in front of it (the claim connection's fallback when startup settings are refused)"
pgbouncer_local_start "$TEST_ROOT/pgbouncer"
export NIGHTSHIFT_TEST_PGBOUNCER_URL="$PGBOUNCER_LOCAL_URL"
echo "   $NIGHTSHIFT_TEST_PGBOUNCER_URL"

echo "== starting the S3-compatible test server (moto, signatures checked)"
s3_local_start "$TEST_ROOT/s3"
# The tests' own names, so no test run picks up a real bucket from the environment.
export NIGHTSHIFT_TEST_S3_ENDPOINT="$BACKUP_S3_ENDPOINT" NIGHTSHIFT_TEST_S3_ACCESS_KEY="$BACKUP_S3_ACCESS_KEY" \
    NIGHTSHIFT_TEST_S3_SECRET_KEY="$BACKUP_S3_SECRET_KEY"
unset BACKUP_S3_ENDPOINT BACKUP_S3_ACCESS_KEY BACKUP_S3_SECRET_KEY BACKUP_S3_REGION
echo "   $NIGHTSHIFT_TEST_S3_ENDPOINT"

echo "== testing"
LOG="$TEST_ROOT/swift-test.log"
status=0
if [ "$#" -eq 0 ]; then
    # The worker tests that bound a latency (an idle worker woken by NOTIFY within 2 s, a
    # graceful shutdown), the browser test and the queue model's seeded runs (two worker
    # processes, SIGKILLs, a 1,100-job chain) run alone, after the rest: on two cores, some 80
    # suites at once starve those timings (2.7-8 s wake-ups seen), and Chromium or the model
    # would starve the rest. The killed-drill sweep test counts on being the only drill in the
    # shared test database while it sweeps (other suites' drills sweep the same scratch prefix
    # and hold in-use locks there), so it runs alone too.
    swift test --skip-build --skip DashboardBrowserTests --skip QueueModelTests --skip WorkerTests --skip DrillContentTests 2>&1 | tee "$LOG" || status=$?
    swift test --skip-build --filter WorkerTests 2>&1 | tee "$LOG.worker" || status=$?
    swift test --skip-build --filter DrillContentTests 2>&1 | tee "$LOG.drill" || status=$?
    swift test --skip-build --filter DashboardBrowserTests 2>&1 | tee "$LOG.browser" || status=$?
    swift test --skip-build --filter QueueModelTests 2>&1 | tee "$LOG.model" || status=$?
else
    swift test --skip-build "$@" 2>&1 | tee "$LOG" || status=$?
fi
if [ "$#" -eq 0 ]; then
    echo "== schemathesis against nightshift serve (no 5xx, every response as Sources/API/openapi.yaml says)"
    SCHEMATHESIS_MAX_TIME="${SCHEMATHESIS_MAX_TIME:-120}" bash ops/schemathesis.sh "$TEST_ROOT/schemathesis" \
        >"$TEST_ROOT/schemathesis.log" 2>&1 || { status=1; cat "$TEST_ROOT/schemathesis.log"; }
    tail -1 "$TEST_ROOT/schemathesis.log"
fi
# One plain closing line for CI, from Swift Testing's summary.
total=0; failed=""
for log in "$LOG" "$LOG.worker" "$LOG.drill" "$LOG.browser" "$LOG.model"; do
    [ -f "$log" ] || continue
    summary="$(grep -E "Test run with [0-9]+ tests?" "$log" | tail -1 || true)"
    total=$((total + $(echo "$summary" | sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' | grep . || echo 0)))
    failed="${failed}$(echo "$summary" | sed -nE 's/.*with ([0-9]+) issues?.*/\1 /p')"
done
[ "$total" -gt 0 ] || total=""
if [ -n "$total" ]; then
    if [ "$status" -eq 0 ]; then echo "$total passed, 0 failed"; else echo "tests: $total run, ${failed:-some} issues"; fi
fi
exit "$status"
