#!/usr/bin/env bash
# Dashboard pages with a million jobs in the table (issue 24): each page's answer time, the
# median of RUNS requests over localhost (curl's time to the last byte), against a release
# `nightshift serve` on a private cluster (fsync on).
#   bash ops/bench-dashboard.sh            (JOBS=1000000 RUNS=7)
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh
JOBS="${JOBS:-1000000}" RUNS="${RUNS:-7}"
DIR="$(mktemp -d /tmp/nightshift-bench-dashboard.XXXXXX)"; chmod 755 "$DIR"
SERVER=""
trap '[ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null; wait 2>/dev/null; pg_local_stop; rm -rf "$DIR"' EXIT
swift build -c release --product nightshift >/dev/null 2>&1
NS="$(swift build -c release --show-bin-path)/nightshift"
pg_local_start "$DIR/pg" on
PSQL=(psql -qAtX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift)
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
export JWT_SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export API_PORT="$PORT" LOG_LEVEL=warning ENABLE_METRICS_PUSH_JOB=false
"$NS" migrate >/dev/null
# A month of history as a busy deployment keeps it: the oldest 99 % finished (94 succeeded,
# 5 discarded, 1 cancelled in a hundred), the newest 1 % live (available, scheduled, retryable,
# running, pending), seven kinds over three queues, times spread over 30 days, oldest first.
"${PSQL[@]}" -c "
INSERT INTO jobs (kind, queue, state, attempt, run_at, created_at, attempted_at, finished_at, heartbeat_at, last_error, errors)
SELECT (ARRAY['noop','backup-month','generate-extrato','nightly-dump','push-metrics','prune-cloud','restore-drill'])[1 + n % 7],
       (ARRAY['default','backups','metrics'])[1 + n % 3],
       s.state::job_state,
       CASE WHEN s.state IN ('available', 'scheduled', 'pending') THEN 0 ELSE 1 END,
       t, t, CASE WHEN s.state IN ('available', 'scheduled', 'pending') THEN NULL ELSE t END,
       CASE WHEN s.state IN ('succeeded', 'discarded', 'cancelled') THEN t + (n % 5000) * interval '1 ms' END,
       CASE WHEN s.state = 'running' THEN now() END,
       CASE WHEN s.state IN ('discarded', 'retryable') THEN 'connection refused (bench)' END,
       CASE WHEN s.state IN ('discarded', 'retryable') THEN '[{\"attempt\": 1, \"error\": \"connection refused (bench)\"}]'::jsonb ELSE '[]'::jsonb END
FROM generate_series(1, $JOBS) AS n,
     LATERAL (SELECT CASE WHEN n <= $JOBS * 0.99 THEN
                               CASE WHEN n % 100 < 94 THEN 'succeeded' WHEN n % 100 < 99 THEN 'discarded' ELSE 'cancelled' END
                          ELSE (ARRAY['available','available','scheduled','retryable','running','pending'])[1 + n % 6] END AS state) AS s,
     LATERAL (SELECT now() - (1 - n::float8 / $JOBS) * interval '30 days' AS t) AS at" -c "VACUUM ANALYZE" -c "CHECKPOINT"
"$NS" serve >"$DIR/serve.log" 2>&1 & SERVER=$!
until curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$DIR/serve.log"; exit 1; }
    sleep 0.2
done
TOKEN="$("$NS" token create --subject bench --role operator --days 1)"
JOB="$("${PSQL[@]}" -c "SELECT max(id) FROM jobs WHERE state = 'discarded'")"
echo "dashboard bench: $(nproc) cores, PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version') (fsync on), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
echo "jobs: $("${PSQL[@]}" -c "SELECT string_agg(state || ' ' || n, ', ' ORDER BY state) FROM (SELECT state::text, count(*) AS n FROM jobs GROUP BY state) s")"
for path in "/" "/ui/jobs" "/ui/jobs?state=discarded" "/ui/jobs?state=succeeded&kind=nightly-dump&queue=backups" "/ui/jobs/$JOB" \
            "/ui/queues" "/ui/schedules" "/ui/backups" "/ui/extratos"; do
    times=()
    for _ in $(seq 1 "$RUNS"); do
        read -r code seconds < <(curl -sS -o "$DIR/page.html" -w '%{http_code} %{time_total}\n' -H "Cookie: nightshift_session=$TOKEN" "http://127.0.0.1:$PORT$path")
        [ "$code" = 200 ] || { echo "$path answered $code"; head -c 2000 "$DIR/page.html"; exit 1; }
        times+=("$seconds")
    done
    python3 - "$path" "${times[@]}" <<'PY'
import statistics, sys
ms = sorted(float(t) * 1000 for t in sys.argv[2:])
print(f"{sys.argv[1]:60} median {statistics.median(ms):6.1f} ms  (min {ms[0]:.1f}, max {ms[-1]:.1f}, {len(ms)} requests)")
PY
done
