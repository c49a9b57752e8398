#!/usr/bin/env bash
# API benchmark (issue 10): `POST /api/jobs` under wrk (keep-alive) against the library's own
# single enqueue, in one run, alternating, at 1 and at CONNECTIONS (default 32) concurrent
# callers. The API's cost is the difference of the p50s at 1 caller.
#   bash ops/bench-api.sh            (SECONDS_EACH=15 ROUNDS=3 CONNECTIONS=32)
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh
command -v wrk >/dev/null 2>&1 || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
SECONDS_EACH="${SECONDS_EACH:-15}" ROUNDS="${ROUNDS:-3}" CONNECTIONS="${CONNECTIONS:-32}"
DIR="$(mktemp -d /tmp/nightshift-bench-api.XXXXXX)"; chmod 755 "$DIR"
SERVER=""
trap '[ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null; wait 2>/dev/null; pg_local_stop; rm -rf "$DIR"' EXIT
pg_local_build_deps
swift build -c release --product nightshift >/dev/null 2>&1
NS="$(swift build -c release --show-bin-path)/nightshift"
pg_local_start "$DIR/pg" on
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
export JWT_SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
# The per-subject limits would stop a load generator in the first second: raised for the run.
export API_PORT="$PORT" API_RATE_LIMIT_PER_MINUTE=1000000 LOG_LEVEL=warning ENABLE_METRICS_PUSH_JOB=false
"$NS" migrate >/dev/null
"$NS" serve >"$DIR/serve.log" 2>&1 & SERVER=$!
until curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$DIR/serve.log"; exit 1; }
    sleep 0.2
done
export TOKEN="$("$NS" token create --subject bench --role operator --days 1)"
cat >"$DIR/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"kind":"noop","queue":"bench-api"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
LUA
echo "nightshift API bench: $(nproc) cores, PostgreSQL $(psql -qAt -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift -c 'SHOW server_version') (fsync on), $(date -u +%FT%TZ), ${SECONDS_EACH}s each"
api() {
    local connections="$1" threads=$(( $1 < 2 ? 1 : 2 ))
    wrk -t"$threads" -c"$connections" -d"${SECONDS_EACH}s" --latency -s "$DIR/post.lua" "http://127.0.0.1:$PORT/api/jobs" >"$DIR/wrk.txt"
    python3 - "$connections" "$DIR/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[2]).read()
def ms(label):
    m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
print(f"POST /api/jobs,  {sys.argv[1]} connections: {rate:8.0f} jobs/s  p50 {ms(50):.2f} ms  p99 {ms(99):.2f} ms"
      + (f"  NON-2xx: {bad.group(1)}" if bad else "") + (f"  socket errors: {errors.group(1)}" if errors else ""))
PY
}
for round in $(seq 1 "$ROUNDS"); do
    echo "-- round $round"
    for callers in 1 "$CONNECTIONS"; do
        "$NS" bench enqueue --callers "$callers" --seconds "$SECONDS_EACH"
        api "$callers"
        psql -qAt -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift -c "DELETE FROM jobs" -c "VACUUM ANALYZE jobs" >/dev/null
    done
done
