#!/usr/bin/env bash
# Property-based API conformance (issue 10): schemathesis against a running `nightshift serve`
# (and a worker, so the service endpoints' jobs finish) with an admin token. No 5xx, and every
# response must match Sources/API/openapi.yaml.
#   DATABASE_URL=… NIGHTSHIFT_BIN=… bash ops/schemathesis.sh DIR
# `positive_data_acceptance` is left out: the document cannot say which kinds exist or what each
# kind's args are, so a schema-valid enqueue of a made-up kind is rightly a 400.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$1"; mkdir -p "$DIR"
NS="${NIGHTSHIFT_BIN:?set NIGHTSHIFT_BIN}"
command -v schemathesis >/dev/null 2>&1 || python3 -m pip install --quiet schemathesis
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
export JWT_SECRET_KEY="schemathesis-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
# A service call's wait stays under schemathesis' 10 s response-time check: the run pauses
# queues at random (`default` among them), and a service call's job then waits out the cap.
export API_PORT="$PORT" API_RATE_LIMIT_PER_MINUTE=1000000 API_SERVICE_RATE_LIMIT_PER_MINUTE=1000000 API_SERVICE_MAX_WAIT_SECONDS=6
export BACKUP_DIR="$DIR/backups" EXTRATO_REQUIRE_BACKUP=false ENABLE_METRICS_PUSH_JOB=false LOG_LEVEL=warning
# A database of its own: the suites' data (months of 2000-2023 closed without a CSV, paused
# queues) would make a service call's job fail for a reason the document rightly answers 500.
RUN_DB="nightshift_schemathesis_$$"
psql -qAtX "${DATABASE_URL:?set DATABASE_URL}" -c "CREATE DATABASE $RUN_DB" >/dev/null
export DATABASE_URL="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$DATABASE_URL" "$RUN_DB")"
"$NS" migrate >/dev/null
SERVER="" WORKER=""
trap '[ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null; [ -n "$WORKER" ] && kill -TERM "$WORKER" 2>/dev/null; wait 2>/dev/null || true' EXIT
"$NS" serve >"$DIR/serve.log" 2>&1 & SERVER=$!
"$NS" worker --no-maintenance >"$DIR/worker.log" 2>&1 & WORKER=$!
python3 - "$PORT" <<'PY'
import sys, time, urllib.request
deadline = time.time() + 60
while time.time() < deadline:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("nightshift serve did not become ready")
PY
TOKEN="$("$NS" token create --subject schemathesis --role admin --days 1)"
schemathesis run "http://127.0.0.1:$PORT/openapi.yaml" \
    --header "Authorization: Bearer $TOKEN" \
    --checks all --exclude-checks positive_data_acceptance \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --seed 20261201 --request-timeout 30 \
    --max-time "${SCHEMATHESIS_MAX_TIME:-240}" \
    --report junit --report-dir "$DIR/report" || status=$?
# The worker must have lived through it: the service endpoints' waits depend on it.
kill -0 "$WORKER" 2>/dev/null || { echo "the worker beside the API exited during the run; its log:" >&2; tail -20 "$DIR/worker.log" >&2; exit 1; }
exit "${status:-0}"
