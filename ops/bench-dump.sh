#!/usr/bin/env bash
# Dump benchmark (issue 9): a database whose dump is about SIZE_MB (default 1024) of mostly
# incompressible rows plus a studio's records, then, in one run:
#  - bare `pg_dump -Fc` to a file against a nightly-dump job (local-only mode), wall time;
#  - the worker's peak RSS during that dump;
#  - uploading the dump to the local S3 server: Nightshift's client against `aws s3 cp`;
#  - bare `pg_restore` into an empty database against a restore-drill job.
#   bash ops/bench-dump.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh
source ops/s3-local.sh
source ops/bench-database.sh
SIZE_MB="${1:-1024}"
DIR="$(mktemp -d /tmp/nightshift-bench-dump.XXXXXX)"; chmod 755 "$DIR"
WORKER=""
trap '[ -n "$WORKER" ] && kill -TERM "$WORKER" 2>/dev/null; s3_local_stop; pg_local_stop; rm -rf "$DIR"' EXIT
pg_local_build_deps
swift build -c release --product nightshift >/dev/null
NS="$(swift build -c release --show-bin-path)/nightshift"
pg_local_start "$DIR/pg" on
s3_local_start "$DIR/s3"
S3_ENDPOINT="$BACKUP_S3_ENDPOINT" S3_KEY="$BACKUP_S3_ACCESS_KEY" S3_SECRET="$BACKUP_S3_SECRET_KEY" S3_REGION="$BACKUP_S3_REGION"
# The dump itself runs in local-only mode; the bucket is only for the upload comparison.
unset BACKUP_S3_ENDPOINT BACKUP_S3_ACCESS_KEY BACKUP_S3_SECRET_KEY BACKUP_S3_REGION
with_bucket() { BACKUP_S3_ENDPOINT="$S3_ENDPOINT" BACKUP_S3_ACCESS_KEY="$S3_KEY" BACKUP_S3_SECRET_KEY="$S3_SECRET" \
    BACKUP_S3_REGION="$S3_REGION" BACKUP_S3_BUCKET=nightshift-bench "$@"; }
export BACKUP_DIR="$DIR/backups" BRANCH_ID=bench ENABLE_METRICS_PUSH_JOB=false LOG_LEVEL=warning
bench_dump_database "$NS" "$SIZE_MB"

seconds() { python3 -c "import sys; print(f'{float(sys.argv[1]):.2f}')" "$1"; }
now() { python3 -c 'import time; print(time.time())'; }

# 1-2. Bare pg_dump -Fc to a file against a nightly-dump job (local-only mode, its time from
# backup_history), alternating for ROUNDS rounds; the worker's peak RSS during its dumps.
ROUNDS="${ROUNDS:-3}"
"$NS" worker --no-maintenance & WORKER=$!
for round in $(seq 1 "$ROUNDS"); do
    rm -f "$DIR/bare.dump"
    start=$(now); PGDATABASE=nightshift pg_dump -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -Fc -f "$DIR/bare.dump"; end=$(now)
    bare=$(python3 -c "print($end - $start)")
    "$NS" backups create --wait >/dev/null
    row="$("${PSQL[@]}" -c "SELECT id, extract(epoch FROM finished_at - started_at), size_bytes, local_path FROM backup_history ORDER BY id DESC LIMIT 1")"
    IFS='|' read -r id job_seconds size path <<<"$row"
    echo "round $round: bare pg_dump -Fc $(seconds "$bare") s ($(du -m "$DIR/bare.dump" | cut -f1) MB), nightly-dump $(seconds "$job_seconds") s ($((size / 1048576)) MB): ratio $(python3 -c "print(f'{$job_seconds / $bare:.3f}')")x"
done
rss=$(awk '/VmHWM/ {print $2}' /proc/$WORKER/status)
kill -TERM "$WORKER"; wait "$WORKER" || true; WORKER=""
echo "worker peak RSS over the $ROUNDS dumps: $((rss / 1024)) MB"
rm -f "$DIR/bare.dump"

# 3. Upload of that dump: Nightshift's S3 client against aws s3 cp, same file, same server.
with_bucket python3 - <<'PY'
import boto3, os
boto3.client("s3", endpoint_url=os.environ["BACKUP_S3_ENDPOINT"], region_name=os.environ["BACKUP_S3_REGION"],
             aws_access_key_id=os.environ["BACKUP_S3_ACCESS_KEY"], aws_secret_access_key=os.environ["BACKUP_S3_SECRET_KEY"]
            ).create_bucket(Bucket="nightshift-bench", CreateBucketConfiguration={"LocationConstraint": os.environ["BACKUP_S3_REGION"]})
PY
clear_bucket() { with_bucket python3 - <<'PY'
import boto3, os
c = boto3.client("s3", endpoint_url=os.environ["BACKUP_S3_ENDPOINT"], region_name=os.environ["BACKUP_S3_REGION"],
                 aws_access_key_id=os.environ["BACKUP_S3_ACCESS_KEY"], aws_secret_access_key=os.environ["BACKUP_S3_SECRET_KEY"])
for o in c.list_objects_v2(Bucket="nightshift-bench").get("Contents", []): c.delete_object(Bucket="nightshift-bench", Key=o["Key"])
PY
}
for round in $(seq 1 "$ROUNDS"); do
    echo "upload round $round, nightshift: $(with_bucket "$NS" bench upload "$path" "bench/ours-$round.dump")"
    start=$(now)
    AWS_ACCESS_KEY_ID="$S3_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET" AWS_DEFAULT_REGION="$S3_REGION" \
        aws s3 cp --quiet "$path" "s3://nightshift-bench/bench/aws-$round.dump" --endpoint-url "$S3_ENDPOINT"
    end=$(now)
    echo "upload round $round, aws s3 cp:  $(python3 -c "print(f'{$size / ($end - $start) / 1e6:.1f} MB/s in {$end - $start:.2f} s')")"
    clear_bucket
done

# 4. Restore: bare pg_restore into an empty database against a restore-drill job (restore, then
# every table's count and content digest), alternating for ROUNDS rounds.
"$NS" worker --no-maintenance & WORKER=$!
for round in $(seq 1 "$ROUNDS"); do
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS bare_restore" -c "CREATE DATABASE bare_restore TEMPLATE template0"
    start=$(now); pg_restore -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres --no-owner --no-privileges -d bare_restore "$path"; end=$(now)
    restore=$(python3 -c "print($end - $start)")
    "${PSQL[@]}" -c "DROP DATABASE bare_restore"
    start=$(now); "$NS" backups drill --id "$id" --wait >/dev/null; end=$(now)
    drill=$(python3 -c "print($end - $start)")
    echo "round $round: bare pg_restore $(seconds "$restore") s, restore-drill (restore + counts + digests) $(seconds "$drill") s: ratio $(python3 -c "print(f'{$drill / $restore:.2f}')")x, verification: $("${PSQL[@]}" -c "SELECT verification_status FROM backup_history WHERE id = $id")"
done
rss=$(awk '/VmHWM/ {print $2}' /proc/$WORKER/status)
kill -TERM "$WORKER"; wait "$WORKER" || true; WORKER=""
echo "worker peak RSS over the $ROUNDS drills: $((rss / 1024)) MB"
