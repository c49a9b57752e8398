#!/usr/bin/env bash
# The table's share of the claim path (issue 26): pgbench runs the bench's claim-50-then-complete
# script on `jobs` as migrated and on variants of it, each in its own database on one private
# cluster (fsync on), alternating, every table refilled and VACUUM ANALYZEd before each run.
#   [VARIANTS="jobs nobrin minimal"] bash ops/bench-table-variants.sh [ROUNDS] [JOBS]
# Variants: jobs (as migrated), nocheck (its CHECK constraints dropped), nobrin (the BRIN index on
# finished_at dropped), lean (both), noheartbeat (the rescuer's heartbeat index dropped),
# notrigger (the dependencies' trigger dropped), bare (all of those, and every other index but
# the primary key and the claim index: what the rest of the table costs together), minimal (Sources/Bench/MinimalQueueTable.sql,
# the bench's own; always run, the others are measured against it).
set -euo pipefail
ROUNDS="${1:-5}"; JOBS="${2:-200000}"
cd "$(dirname "$0")/.."
source ops/pg-local.sh
swift build -c release --product nightshift >/dev/null
NS="$(swift build -c release --show-bin-path)/nightshift"
DIR="$(mktemp -d /tmp/ns-table.XXXXXX)"; chmod 755 "$DIR"
trap 'pg_local_stop; rm -rf "$DIR"' EXIT
pg_local_start "$DIR/pg" on
PSQL=(psql -qAtX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres)
CHECKS="ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check, DROP CONSTRAINT jobs_queue_check, DROP CONSTRAINT jobs_max_attempts_check"
read -r -a VARIANTS <<< "${VARIANTS:-jobs nocheck nobrin lean}"
VARIANTS+=(minimal)
for variant in "${VARIANTS[@]}"; do
    "${PSQL[@]}" -d nightshift -c "CREATE DATABASE v_$variant"
    DATABASE_URL="postgres://postgres@127.0.0.1:$PG_LOCAL_PORT/v_$variant?sslmode=disable" LOG_LEVEL=warning "$NS" migrate >/dev/null
    case "$variant" in
        nocheck) "${PSQL[@]}" -d "v_$variant" -c "$CHECKS" ;;
        nobrin) "${PSQL[@]}" -d "v_$variant" -c "DROP INDEX jobs_finished_brin" ;;
        lean) "${PSQL[@]}" -d "v_$variant" -c "$CHECKS" -c "DROP INDEX jobs_finished_brin" ;;
        noheartbeat) "${PSQL[@]}" -d "v_$variant" -c "DROP INDEX jobs_heartbeat_idx" ;;
        notrigger) "${PSQL[@]}" -d "v_$variant" -c "DROP TRIGGER jobs_release_dependents ON jobs" ;;
        bare)
            "${PSQL[@]}" -d "v_$variant" -c "$CHECKS" -c "DROP TRIGGER jobs_release_dependents ON jobs" -c "
                DO \$\$ DECLARE name text; BEGIN
                    FOR name IN SELECT indexname FROM pg_indexes WHERE tablename = 'jobs' AND indexname NOT IN ('jobs_pkey', 'jobs_claim_idx') LOOP
                        EXECUTE format('DROP INDEX %I', name);
                    END LOOP;
                END \$\$" ;;
        minimal)
            # The bench's minimal table, made from `jobs`, then put in its place.
            sed 's/{table}/minimal_jobs/g' Sources/Bench/MinimalQueueTable.sql | "${PSQL[@]}" -d "v_$variant"
            "${PSQL[@]}" -d "v_$variant" -c "DROP TABLE jobs CASCADE" -c "ALTER TABLE minimal_jobs RENAME TO jobs" 2>/dev/null ;;
    esac
done
# The worker's claim and completion (JobSQL), as `nightshift bench` gives them to pgbench.
cat > "$DIR/script.sql" <<'SQL'
WITH picked AS (
    SELECT id, priority, run_at FROM jobs WHERE state = 'available' AND queue = :queue
    ORDER BY priority, run_at, id LIMIT 50 FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE jobs AS jobs SET state = 'running', attempt = jobs.attempt + 1, attempted_at = now(),
                    heartbeat_at = now(), locked_by = 'pgbench/' || :client_id::text
    WHERE jobs.id = ANY(ARRAY(SELECT id FROM picked))
    RETURNING jobs.id, jobs.kind, jobs.queue, jobs.args::text AS args, jobs.attempt, jobs.max_attempts
)
SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(attempt), '{}') AS attempts,
       count(kind) + count(queue) + count(args) + count(max_attempts) AS fields
FROM claimed
\gset
UPDATE jobs AS jobs SET state = 'succeeded', finished_at = now(), heartbeat_at = NULL
WHERE jobs.id = ANY(:ids::bigint[]) AND jobs.attempt = (:attempts::int[])[array_position(:ids::bigint[], jobs.id)]
  AND jobs.state = 'running';
SQL
echo "== $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD), $(nproc) cores, $JOBS jobs a run, pgbench -c 4 -j 2"
declare -A rates
for round in $(seq 1 "$ROUNDS"); do
    line="round $round:"
    for variant in "${VARIANTS[@]}"; do
        db=(-d "v_$variant")
        "${PSQL[@]}" "${db[@]}" -c "INSERT INTO jobs (kind, queue) SELECT 'noop', 'r$round' FROM generate_series(1, $JOBS)" \
            -c "VACUUM ANALYZE jobs" -c "CHECKPOINT"
        PGHOST=127.0.0.1 PGPORT="$PG_LOCAL_PORT" PGUSER=postgres PGDATABASE="v_$variant" \
            pgbench -n -M prepared -f "$DIR/script.sql" -c 4 -j 2 -t $((JOBS / 50 / 4)) -D "queue=r$round" >/dev/null 2>&1
        rate=$("${PSQL[@]}" "${db[@]}" -c "SELECT round(count(*) / extract(epoch FROM max(finished_at) - min(attempted_at)))::int FROM jobs WHERE queue = 'r$round' AND state = 'succeeded'")
        rates[$variant]+="$rate "
        line+=" $variant $rate"
        "${PSQL[@]}" "${db[@]}" -c "DELETE FROM jobs" -c "VACUUM jobs"
    done
    echo "$line"
done
# Each variant's median of its per-round ratios to the minimal table (rounds are back to back).
args=("${rates[minimal]}")
for variant in "${VARIANTS[@]}"; do [ "$variant" = minimal ] || args+=("$variant" "${rates[$variant]}"); done
python3 - "${args[@]}" <<'PY'
import statistics, sys
minimal = [float(x) for x in sys.argv[1].split()]
for name, rates in zip(sys.argv[2::2], sys.argv[3::2]):
    ratios = [float(r) / m for r, m in zip(rates.split(), minimal)]
    print(f"{name:8} / minimal: median {statistics.median(ratios):.2f}  (rounds " + " ".join(f"{r:.2f}" for r in ratios) + ")")
PY
