#!/usr/bin/env bash
# Encryption benchmark (issue 13), in one run:
#  - a 1 GiB file of random bytes encrypted by `age -r` and by `nightshift bench encrypt`
#    (the path a backup is written by: age format, SHA-256 of the output, temporary name and
#    rename), alternating for ROUNDS rounds, both without fsync (age never syncs) and both
#    with it (ours syncs; age's output is fsynced after it exits); peak RSS of each;
#  - a nightly-dump job with encryption off against on, on a database whose dump is about
#    SIZE_MB (default 1024), alternating, times from backup_history.
#   bash ops/bench-age.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh
source ops/bench-database.sh
SIZE_MB="${1:-1024}"
ROUNDS="${ROUNDS:-3}"
DIR="$(mktemp -d /tmp/nightshift-bench-age.XXXXXX)"; chmod 755 "$DIR"
WORKER=""
# This VM reports freed guest memory to its host (virtio free-page reporting, blocks of 128 KiB
# and up); the host takes the pages back, and the next first touch of each faults in the
# host, which made a GiB written to a file take 1 s in one run and 3.5 s in the next, for age
# and for us alike. Where it can (root), the benchmark reports only 4 MiB blocks while it runs.
REPORTING=/sys/module/page_reporting/parameters/page_reporting_order
REPORTING_WAS=""
if [ -w "$REPORTING" ]; then REPORTING_WAS="$(cat "$REPORTING")"; echo 10 >"$REPORTING"; fi
trap '[ -n "$WORKER" ] && kill -TERM "$WORKER" 2>/dev/null; pg_local_stop; rm -rf "$DIR"; [ -n "$REPORTING_WAS" ] && echo "$REPORTING_WAS" >"$REPORTING"' EXIT
command -v age >/dev/null || { echo "install age (Debian package age)" >&2; exit 1; }
pg_local_build_deps
swift build -c release --product nightshift >/dev/null
NS="$(swift build -c release --show-bin-path)/nightshift"
now() { python3 -c 'import time; print(time.time())'; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
fsync_file() { python3 -c "import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)" "$1"; }

"$NS" backup keygen --output "$DIR/backup.key" >"$DIR/recipient" 2>/dev/null
RECIPIENT="$(cat "$DIR/recipient")"
head -c 1073741824 /dev/urandom >"$DIR/plain.bin"
echo "== 1 GiB, encryption alone ($(nproc) cores, $(age --version 2>/dev/null || echo age), page reporting order $(cat "$REPORTING" 2>/dev/null || echo -))"
for round in $(seq 1 "$ROUNDS"); do
    sync; start=$(now); age -r "$RECIPIENT" -o "$DIR/age.age" "$DIR/plain.bin"; end=$(now)
    a=$(elapsed "$start" "$end"); rm -f "$DIR/age.age"; sync
    ours=$(/usr/bin/time -f "%M" -o "$DIR/rss" "$NS" bench encrypt "$DIR/plain.bin" "$DIR/ours.age" --recipient "$RECIPIENT" --no-sync)
    echo "round $round, no fsync:   age -r $a s; nightshift $ours (peak RSS $(( $(cat "$DIR/rss") / 1024 )) MB)"
    # What a backup records besides the file: its SHA-256. With age, that is a second pass.
    sync; start=$(now); age -r "$RECIPIENT" -o "$DIR/age.age" "$DIR/plain.bin"; sha256sum "$DIR/age.age" >/dev/null; end=$(now)
    echo "round $round, no fsync:   age -r then sha256sum $(elapsed "$start" "$end") s"; rm -f "$DIR/age.age"
    age --decrypt -i "$DIR/backup.key" "$DIR/ours.age" | cmp -s - "$DIR/plain.bin" || { echo "age could not read ours back" >&2; exit 1; }
    rm -f "$DIR/ours.age"; sync
    start=$(now); age -r "$RECIPIENT" -o "$DIR/age.age" "$DIR/plain.bin"; fsync_file "$DIR/age.age"; end=$(now)
    a=$(elapsed "$start" "$end"); rm -f "$DIR/age.age"; sync
    ours=$("$NS" bench encrypt "$DIR/plain.bin" "$DIR/ours.age" --recipient "$RECIPIENT")
    echo "round $round, with fsync: age -r + fsync $a s; nightshift $ours"
    rm -f "$DIR/ours.age"; sync
done
rm -f "$DIR/plain.bin"

echo "== nightly-dump, encryption off against on"
pg_local_start "$DIR/pg" on
export BACKUP_DIR="$DIR/backups" BRANCH_ID=bench ENABLE_METRICS_PUSH_JOB=false LOG_LEVEL=warning
bench_dump_database "$NS" "$SIZE_MB"
dump_with() { # $1: "" or recipients; prints seconds and bytes of the dump just made
    BACKUP_AGE_RECIPIENTS="$1" "$NS" worker --no-maintenance & WORKER=$!
    "$NS" backups create --wait >/dev/null
    kill -TERM "$WORKER"; wait "$WORKER" || true; WORKER=""
    "${PSQL[@]}" -c "SELECT round(extract(epoch FROM finished_at - started_at)::numeric, 2) || ' s, ' || size_bytes / 1048576 || ' MB, ' || coalesce(encryption, 'plain') FROM backup_history ORDER BY id DESC LIMIT 1"
}
for round in $(seq 1 "$ROUNDS"); do
    off=$(dump_with ""); rm -f "$DIR"/backups/dumps/*
    on=$(dump_with "$RECIPIENT"); rm -f "$DIR"/backups/dumps/*
    echo "round $round: off $off; on $on: ratio $(python3 -c "import sys; print(f'{float(sys.argv[2].split()[0]) / float(sys.argv[1].split()[0]):.3f}')" "$off" "$on")x"
done
