#!/usr/bin/env bash
# The fault gauntlet (issue 12): a mixed workload — no-op bursts, backup-month + generate-extrato
# for seeded months, nightly dumps uploaded to an S3-compatible server, restore drills, metrics
# pushes — on 3 worker processes and 2 schedulers, while faults are injected:
#   SIGKILL of a random worker every few seconds (a new one is started), PostgreSQL restarted
#   with -m fast and with -m immediate, the S3 server frozen (SIGSTOP) during uploads then
#   resumed, the backup file system filled (a size-limited tmpfs, as root) during dumps then
#   freed, SIGTERM to the worker running a month close.
# Then it checks invariants from the database and the bucket (not from logs) and exits non-zero
# on any violation. The last line: faults injected, jobs run, violations.
#   bash ops/chaos.sh            # the full run (~15 min of faults)
#   bash ops/chaos.sh --quick    # CI-sized (~3 min of faults)
#   bash ops/chaos.sh --model    # issue 31's model-based test, long: many seeded runs of
#                                # QueueModelTests at a larger size (see docs/reliability.md)
# NIGHTSHIFT_BIN: the binary to test (default: a debug build).
set -uo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh
source ops/s3-local.sh

if [ "${1:-}" = "--model" ]; then
    # Seeded random DAGs, operator actions and SIGKILLed worker processes against a private
    # PostgreSQL, checked against the model after each run. MODEL_* size it; a failing run prints
    # NIGHTSHIFT_MODEL_SEED=N, which reruns that seed alone.
    ROOT="$(mktemp -d /tmp/nightshift-model.XXXXXX)"; chmod 755 "$ROOT"
    trap 'pg_local_stop; rm -rf "$ROOT"' EXIT
    swift build --build-tests >/dev/null || exit 1
    pg_local_start "$ROOT/pg" off >/dev/null || exit 1
    export NIGHTSHIFT_TEST_DATABASE_URL="$DATABASE_URL" NIGHTSHIFT_BIN="$(swift build --show-bin-path)/nightshift"
    export NIGHTSHIFT_MIGRATIONS_DIR="$PWD/Migrations"
    export NIGHTSHIFT_MODEL_RUNS="${MODEL_RUNS:-12}" NIGHTSHIFT_MODEL_WAVES="${MODEL_WAVES:-8}" NIGHTSHIFT_MODEL_JOBS="${MODEL_JOBS:-40}"
    export NIGHTSHIFT_MODEL_KILLS="${MODEL_KILLS:-8}" NIGHTSHIFT_MODEL_CHAIN="${MODEL_CHAIN:-5000}"
    export NIGHTSHIFT_MODEL_PRUNE="${MODEL_PRUNE:-1}"
    [ -n "${MODEL_SEED:-}" ] && export NIGHTSHIFT_MODEL_SEED="$MODEL_SEED"
    started=$(date +%s)
    swift test --skip-build --filter 'QueueModelTests/seededRandomRunsKeepTheQueuesRules' 2>&1 | tee "$ROOT/model.log" | grep -E '^model (run|violation)'
    status=${PIPESTATUS[0]}
    runs=$(grep -c '^model run: seed' "$ROOT/model.log"); violations=$(grep -c '^model violation' "$ROOT/model.log")
    echo "chaos --model: $runs runs in $(( $(date +%s) - started )) s; violations $violations"
    exit "$status"
fi

QUICK=0; [ "${1:-}" = "--quick" ] && QUICK=1
if [ "$QUICK" -eq 1 ]; then DURATION="${CHAOS_SECONDS:-150}"; MONTHS=3; ROWS=400; NOOPS=20000; FREEZE=15
else DURATION="${CHAOS_SECONDS:-900}"; MONTHS=6; ROWS=5000; NOOPS=200000; FREEZE=30; fi
ROOT="$(mktemp -d /tmp/nightshift-chaos.XXXXXX)"; chmod 755 "$ROOT"
NS="${NIGHTSHIFT_BIN:-}"
if [ -z "$NS" ]; then swift build --product nightshift >/dev/null || exit 1; NS="$(swift build --show-bin-path)/nightshift"; fi
declare -A WORKERS=()
SCHEDULERS=()
MOUNTED=0
cleanup() {
    for pid in "${WORKERS[@]}" "${SCHEDULERS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    [ -n "${S3_LOCAL_PID:-}" ] && kill -CONT "$S3_LOCAL_PID" 2>/dev/null
    s3_local_stop; pg_local_stop
    [ "$MOUNTED" -eq 1 ] && umount "$ROOT/backups" 2>/dev/null
    rm -rf "$ROOT"
}
trap cleanup EXIT
log() { echo "chaos $(date -u +%H:%M:%S) $*"; }

pg_local_start "$ROOT/pg" on || exit 1
s3_local_start "$ROOT/s3" || exit 1
export BACKUP_S3_BUCKET=chaos BRANCH_ID=chaos TZ=America/Sao_Paulo LOG_LEVEL=warning LOG_FORMAT=json
export ENABLE_NIGHTLY_DUMP_JOB=true ENABLE_METRICS_PUSH_JOB=true ENABLE_CLOUD_PRUNE_JOB=false ENABLE_RESTORE_DRILL_JOB=true
python3 - <<'PY' || exit 1
import boto3, os
boto3.client("s3", endpoint_url=os.environ["BACKUP_S3_ENDPOINT"], region_name=os.environ["BACKUP_S3_REGION"],
             aws_access_key_id=os.environ["BACKUP_S3_ACCESS_KEY"], aws_secret_access_key=os.environ["BACKUP_S3_SECRET_KEY"]
            ).create_bucket(Bucket="chaos", CreateBucketConfiguration={"LocationConstraint": os.environ["BACKUP_S3_REGION"]})
PY
mkdir -p "$ROOT/backups"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=96m tmpfs "$ROOT/backups" 2>/dev/null; then MOUNTED=1; fi
export BACKUP_DIR="$ROOT/backups"
PSQL=(psql -qAtX -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift)

"$NS" migrate >/dev/null || exit 1
"$NS" demo seed --months "$MONTHS" --rows-per-month "$ROWS" >/dev/null || exit 1
# What the month closes must end with: per month, the records and their sums, before anything runs.
"${PSQL[@]}" <<'SQL' || exit 1
CREATE TABLE chaos_expected AS
WITH m AS (SELECT DISTINCT extract(year FROM data)::int AS ano, extract(month FROM data)::int AS mes FROM pagamentos)
SELECT ano, mes,
       (SELECT count(*) FROM pagamentos WHERE extract(year FROM data) = ano AND extract(month FROM data) = mes)
     + (SELECT count(*) FROM sessoes WHERE extract(year FROM data) = ano AND extract(month FROM data) = mes)
     + (SELECT count(*) FROM comissoes WHERE extract(year FROM data) = ano AND extract(month FROM data) = mes)
     + (SELECT count(*) FROM gastos WHERE extract(year FROM data) = ano AND extract(month FROM data) = mes) AS records,
       (SELECT coalesce(sum(valor), 0) FROM pagamentos WHERE extract(year FROM data) = ano AND extract(month FROM data) = mes) AS receita,
       (SELECT coalesce(sum(valor), 0) FROM gastos WHERE extract(year FROM data) = ano AND extract(month FROM data) = mes) AS gastos
FROM m;
SQL
log "seeded $("${PSQL[@]}" -c "SELECT count(*) || ' months, ' || sum(records) || ' records' FROM chaos_expected")"

# A session that holds gastos against writes until the SIGTERM fault has landed: month closes
# (which delete the month's gastos) then stay running long enough to be interrupted, while
# backups (which only read) go on.
"${PSQL[@]}" -c "BEGIN; LOCK TABLE gastos IN SHARE ROW EXCLUSIVE MODE; SELECT pg_sleep(600)" >/dev/null 2>&1 &
LOCK_HOLDER=$!
release_lock() {
    [ -n "${LOCK_HOLDER:-}" ] || return 0
    "${PSQL[@]}" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE gastos%' AND pid <> pg_backend_pid()" >/dev/null 2>&1
    kill "$LOCK_HOLDER" 2>/dev/null; LOCK_HOLDER=""
}
start_worker() {
    "$NS" worker --queues default=50 --rescue-after 5s --heartbeat-interval 1s --retry-base 1s --retry-cap 4s \
        >>"$ROOT/worker.log" 2>&1 &
    WORKERS[$!]=$!
    disown $!
}
for _ in 1 2 3; do start_worker; done
for _ in 1 2; do "$NS" scheduler >>"$ROOT/scheduler.log" 2>&1 & SCHEDULERS+=($!); disown $!; done

# The workload: every seeded month's backup and close (the scheduler's keys, so the schedulers'
# own catch-up of the previous month is the same job), dumps, drills, metrics, no-op bursts.
enqueue() { "$NS" enqueue "$@" >/dev/null 2>>"$ROOT/enqueue.log"; }
while IFS='|' read -r ano mes; do
    label=$(printf '%04d-%02d' "$ano" "$mes")
    enqueue backup-month --args "{\"year\": $ano, \"month\": $mes}" --unique-key "backup-month:$label" --max-attempts 50
    enqueue generate-extrato --args "{\"year\": $ano, \"month\": $mes}" --unique-key "generate-extrato:$label" --max-attempts 50
done < <("${PSQL[@]}" -c "SELECT ano, mes FROM chaos_expected ORDER BY 1, 2")
burst() { "${PSQL[@]}" -c "INSERT INTO jobs (kind, args) SELECT 'noop', '{}' FROM generate_series(1, $1)"; }
burst $((NOOPS / 2))
FAULTS_KILL=0 FAULTS_PG=0 FAULTS_S3=0 FAULTS_DISK=0 FAULTS_TERM=0
started=$(date +%s); next_kill=$((started + 3)); dumps=0
fast_at=$((started + DURATION / 5)); immediate_at=$((started + DURATION / 2))
freeze_at=$((started + DURATION * 3 / 10)); disk_at=$((started + DURATION * 7 / 10)); burst_at=$((started + DURATION * 6 / 10))
while [ "$(date +%s)" -lt $((started + DURATION)) ]; do
    now=$(date +%s)
    # Dumps (and a drill after each) keep coming, so uploads and writes are under way when faults land.
    active_dumps=$("${PSQL[@]}" -c "SELECT count(*) FROM jobs WHERE kind = 'nightly-dump' AND state IN ('available', 'running', 'retryable')" 2>/dev/null || echo 1)
    if [ "$active_dumps" = 0 ]; then
        dumps=$((dumps + 1))
        enqueue nightly-dump --args '{"type": "manual"}' --unique-key "chaos-dump-$dumps" --max-attempts 50
        enqueue restore-drill --args '{}' --unique-key "chaos-drill-$dumps" --max-attempts 50 --in 5s
        enqueue push-metrics --args "{\"date\": \"$(date -u -d "-$((dumps % 5)) days" +%F)\"}" --unique-key "chaos-metrics-$dumps" --max-attempts 50
    fi
    # SIGTERM to the worker running a month close, once.
    if [ "$FAULTS_TERM" -eq 0 ]; then
        owner=$("${PSQL[@]}" -c "SELECT locked_by FROM jobs WHERE kind = 'generate-extrato' AND state = 'running' LIMIT 1" 2>/dev/null)
        pid="${owner##*/}"
        if [ -n "$owner" ] && [ -n "${WORKERS[$pid]:-}" ]; then
            kill -TERM "$pid"; unset "WORKERS[$pid]"; start_worker; FAULTS_TERM=1; log "SIGTERM to worker $pid during a month close"
            release_lock
        fi
    fi
    if [ "$now" -ge "$next_kill" ] && [ "${#WORKERS[@]}" -gt 0 ]; then
        pids=("${!WORKERS[@]}"); victim=${pids[$((RANDOM % ${#pids[@]}))]}
        kill -KILL "$victim" 2>/dev/null; unset "WORKERS[$victim]"; start_worker
        FAULTS_KILL=$((FAULTS_KILL + 1)); next_kill=$((now + 3 + RANDOM % 5))
    fi
    if [ "$fast_at" -gt 0 ] && [ "$now" -ge "$fast_at" ]; then
        release_lock
        log "restarting PostgreSQL -m fast"; pg_local_run_as "$PG_LOCAL_BIN/pg_ctl" -D "$PG_LOCAL_DIR/data" -m fast -w restart >/dev/null
        FAULTS_PG=$((FAULTS_PG + 1)); fast_at=0
    fi
    if [ "$immediate_at" -gt 0 ] && [ "$now" -ge "$immediate_at" ]; then
        log "restarting PostgreSQL -m immediate"; pg_local_run_as "$PG_LOCAL_BIN/pg_ctl" -D "$PG_LOCAL_DIR/data" -m immediate -w restart >/dev/null
        FAULTS_PG=$((FAULTS_PG + 1)); immediate_at=0
    fi
    if [ "$freeze_at" -gt 0 ] && [ "$now" -ge "$freeze_at" ]; then
        log "S3 server frozen for ${FREEZE}s"; kill -STOP "$S3_LOCAL_PID"
        ( sleep "$FREEZE"; kill -CONT "$S3_LOCAL_PID" ) &
        FAULTS_S3=$((FAULTS_S3 + 1)); freeze_at=0
    fi
    if [ "$burst_at" -gt 0 ] && [ "$now" -ge "$burst_at" ]; then burst $((NOOPS / 2)); burst_at=0; fi
    if [ "$disk_at" -gt 0 ] && [ "$now" -ge "$disk_at" ] && [ "$MOUNTED" -eq 1 ]; then
        log "backup file system full for 10 s"
        enqueue nightly-dump --args '{"type": "manual"}' --unique-key "chaos-dump-full" --max-attempts 50
        enqueue backup-month --args "$("${PSQL[@]}" -c "SELECT json_build_object('year', ano, 'month', mes, 'force', true) FROM chaos_expected ORDER BY ano DESC, mes DESC LIMIT 1")" \
            --unique-key "chaos-backup-full" --max-attempts 50
        dd if=/dev/zero of="$ROOT/backups/.chaos-filler" bs=1M 2>/dev/null
        ( sleep 10; rm -f "$ROOT/backups/.chaos-filler" ) &
        FAULTS_DISK=$((FAULTS_DISK + 1)); disk_at=0
    fi
    sleep 0.3
done
log "faults stop; waiting for every job to finish"
while [ "${#WORKERS[@]}" -lt 3 ]; do start_worker; done
deadline=$(( $(date +%s) + (QUICK ? 300 : 900) ))
while [ "$(date +%s)" -lt "$deadline" ]; do
    # Scheduled jobs are the schedulers' future slots (tonight's dump): not work of this run.
    left=$("${PSQL[@]}" -c "SELECT count(*) FROM jobs WHERE state IN ('available', 'running', 'retryable')" 2>/dev/null || echo "?")
    [ "$left" = 0 ] && break
    sleep 1
done
for pid in "${SCHEDULERS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
for pid in "${WORKERS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
for pid in "${WORKERS[@]}" "${SCHEDULERS[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
WORKERS=(); SCHEDULERS=()

# The checks, from the database and the bucket.
export CHAOS_ROOT="$ROOT" PG_BIN="$PG_LOCAL_BIN"
python3 - <<'PY'
import boto3, hashlib, json, os, subprocess, sys, tempfile
def sql(query):
    # Unit and record separators, not tabs and newlines: libpq's errors hold both.
    out = subprocess.run(["psql", "-qAtX", "-F", "\x1f", "-R", "\x1e", "-h", "127.0.0.1", "-p", os.environ["PGPORT"], "-U", "postgres",
                          "-d", "nightshift", "-c", query], check=True, capture_output=True, text=True).stdout
    return [record.split("\x1f") for record in out.rstrip("\n").split("\x1e") if record]
violations = []
def violate(text):
    violations.append(text); print("VIOLATION:", text)

stuck = sql("SELECT id, kind, state FROM jobs WHERE state IN ('running', 'available', 'retryable') ORDER BY id LIMIT 5")
if stuck: violate(f"jobs not in a final state: {stuck}")
for ano, mes, records, receita, gastos, rows, closed, extrato_receita, extrato_gastos, left in sql("""
    SELECT x.ano, x.mes, x.records, x.receita, x.gastos, count(e.id),
           coalesce(sum((SELECT sum(value::int) FROM jsonb_each_text(e.contagens))), 0),
           max(e.total_receita), max(e.total_gastos),
           (SELECT count(*) FROM pagamentos WHERE extract(year FROM data) = x.ano AND extract(month FROM data) = x.mes)
         + (SELECT count(*) FROM sessoes WHERE extract(year FROM data) = x.ano AND extract(month FROM data) = x.mes)
         + (SELECT count(*) FROM comissoes WHERE extract(year FROM data) = x.ano AND extract(month FROM data) = x.mes)
         + (SELECT count(*) FROM gastos WHERE extract(year FROM data) = x.ano AND extract(month FROM data) = x.mes)
    FROM chaos_expected x LEFT JOIN extratos e ON e.ano = x.ano AND e.mes = x.mes
    GROUP BY x.ano, x.mes, x.records, x.receita, x.gastos ORDER BY 1, 2"""):
    month = f"{ano}-{int(mes):02d}"
    if rows != "1": violate(f"{month}: {rows} extratos rows, expected exactly 1")
    if int(closed) + int(left) != int(records): violate(f"{month}: {closed} records in the extrato + {left} left != {records} seeded")
    if rows == "1" and (extrato_receita != receita or extrato_gastos != gastos):
        violate(f"{month}: totals {extrato_receita}/{extrato_gastos}, seeded sums {receita}/{gastos}")
s3 = boto3.client("s3", endpoint_url=os.environ["BACKUP_S3_ENDPOINT"], region_name=os.environ["BACKUP_S3_REGION"],
                  aws_access_key_id=os.environ["BACKUP_S3_ACCESS_KEY"], aws_secret_access_key=os.environ["BACKUP_S3_SECRET_KEY"])
dumps = sql("SELECT id, object_key, sha256 FROM backup_history WHERE status = 'completed'")
if not dumps: violate("no dump completed")
for backup_id, key, sha in dumps:
    try:
        body = s3.get_object(Bucket="chaos", Key=key)["Body"].read()
    except Exception as error:
        violate(f"backup {backup_id}: {key} missing from the bucket ({error})"); continue
    if hashlib.sha256(body).hexdigest() != sha: violate(f"backup {backup_id}: {key} is not the recorded SHA-256")
    with tempfile.NamedTemporaryFile(suffix=".dump") as f:
        f.write(body); f.flush()
        # Every byte, not just the table of contents (--list would pass a dump cut short).
        read = subprocess.run([os.path.join(os.environ["PG_BIN"], "pg_restore"), "--file=/dev/null", f.name], capture_output=True, text=True)
        if read.returncode != 0:
            violate(f"backup {backup_id}: pg_restore cannot read all of {key} ({len(body)} bytes): {' '.join(read.stderr.split())[:200]}")
uploads = s3.list_multipart_uploads(Bucket="chaos").get("Uploads", [])
if uploads: violate(f"{len(uploads)} multipart upload(s) left open")
for folder, _, files in os.walk(os.path.join(os.environ["CHAOS_ROOT"], "backups")):
    for name in files:
        # The month's writer lock (`flock` on an empty `.backup_YYYY_MM.lock` beside the month's
        # folder, MonthBackupLock) stays by design: removing a flock file races its next taker.
        if __import__("re").fullmatch(r"\.backup_\d{4}_\d{2}\.lock", name) and os.path.getsize(os.path.join(folder, name)) == 0: continue
        if name.startswith(".") or ".tmp-" in name: violate(f"temporary or partial file left: {os.path.join(folder, name)}")
for day, key, sha in sql("SELECT summary_date, object_key, sha256 FROM daily_summaries WHERE object_key IS NOT NULL"):
    try:
        body = s3.get_object(Bucket="chaos", Key=key)["Body"].read()
        if hashlib.sha256(body).hexdigest() != sha: violate(f"metrics {day}: the object differs from what was computed")
    except Exception as error:
        violate(f"metrics {day}: {key} missing ({error})")
for key, count in sql("SELECT unique_key, count(*) FROM jobs WHERE unique_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1"):
    violate(f"unique key {key} held by {count} jobs")
for schedule, slot, count in sql("SELECT schedule, slot, count(*) FROM scheduler_slots GROUP BY 1, 2 HAVING count(*) > 1"):
    violate(f"slot {schedule} {slot} enqueued {count} times")
for backup_id, details in sql("SELECT id, coalesce(verification_details->>'reason', '-') FROM backup_history WHERE status = 'completed' AND verification_status = 'false'"):
    violate(f"backup {backup_id}: a drill marked it bad ({' '.join(details.split())[:160]})")
for kind, count, error in sql("SELECT kind, count(*), left(coalesce(last_error, '-'), 160) FROM jobs WHERE state = 'discarded' GROUP BY 1, 3 ORDER BY 2 DESC LIMIT 8"):
    print(f"discarded: {count} x {kind}: {' '.join(error.split())}")
# Jobs left neither succeeded nor discarded (a drill snoozed while a dump ran, a cancelled one):
# counted, not waited for, and said by state and kind with what they last said.
for state, kind, count, note in sql("SELECT state::text, kind, count(*), left(coalesce(snooze_reason, last_error, '-'), 120) FROM jobs WHERE state NOT IN ('succeeded', 'discarded') GROUP BY 1, 2, 4 ORDER BY 3 DESC LIMIT 8"):
    print(f"left {state}: {count} x {kind}: {' '.join(note.split())}")
jobs = sql("SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE state = 'discarded') FROM jobs")[0]
with open(os.path.join(os.environ["CHAOS_ROOT"], "result"), "w") as out:
    out.write(f"{jobs[0]} {jobs[1]} {jobs[2]} {len(violations)}\n")
sys.exit(1 if violations else 0)
PY
status=$?
if [ "$status" -ne 0 ]; then
    # The processes' logs outlive the run, for the post-mortem; the dump lines go to the output.
    KEPT="/tmp/nightshift-chaos-logs-$(date -u +%Y%m%dT%H%M%S)"; mkdir -p "$KEPT"; cp "$ROOT"/*.log "$KEPT"/ 2>/dev/null
    log "logs kept in $KEPT; the dump and drill lines of the workers:"
    grep -h '"backup_id"\|dump' "$ROOT/worker.log" 2>/dev/null | cut -c1-300 | tail -25
fi
read -r total succeeded discarded violations < "$ROOT/result" 2>/dev/null || { total=?; succeeded=?; discarded=?; violations=?; }
faults=$((FAULTS_KILL + FAULTS_PG + FAULTS_S3 + FAULTS_DISK + FAULTS_TERM))
[ "$MOUNTED" -eq 1 ] || log "disk-full fault skipped: mounting a size-limited tmpfs needs root"
echo "chaos$([ "$QUICK" -eq 1 ] && echo " --quick"): faults injected $faults (SIGKILL $FAULTS_KILL, PostgreSQL restarts $FAULTS_PG, S3 outages $FAULTS_S3, disk full $FAULTS_DISK, SIGTERM in a month close $FAULTS_TERM); jobs run $total ($succeeded succeeded, $discarded discarded); violations $violations"
exit $status
