#!/usr/bin/env bash
# Month-close benchmark: a month of ROWS records (default 1,000,000).
#  - backup-month vs psql \copy of the same SELECT to CSV (time, peak RSS)
#  - generate-extrato vs the same statements run by hand in one psql transaction
#   bash ops/bench-month-close.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh
ROWS="${1:-1000000}"
DIR="$(mktemp -d /tmp/nightshift-bench.XXXXXX)"; chmod 755 "$DIR"
trap 'pg_local_stop; rm -rf "$DIR"' EXIT
pg_local_build_deps
swift build -c release --product nightshift >/dev/null
NS="$(swift build -c release --show-bin-path)/nightshift"
pg_local_start "$DIR/pg" on
"$NS" migrate >/dev/null
export BACKUP_DIR="$DIR/backups"
PSQL=(psql -q -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift)
"$NS" demo seed --month 2025-01 --rows-per-month "$ROWS" >/dev/null
"$NS" demo seed --month 2025-02 --rows-per-month "$ROWS" >/dev/null
"${PSQL[@]}" -c "VACUUM ANALYZE" -c "CHECKPOINT"

measure() { # label, command...
    local label="$1"; shift
    /usr/bin/time -f "%e %M" -o "$DIR/time" "$@" >/dev/null
    read -r seconds kb < "$DIR/time"
    printf "%-44s %8.2f s  peak RSS %6.1f MB\n" "$label" "$seconds" "$(echo "$kb / 1024" | bc -l)"
}
echo "rows per month: $ROWS ($(nproc) cores, $("${PSQL[@]}" -At -c 'SHOW server_version'), fsync on)"
SELECT_SQL="$("$NS" backup create --year 2025 --month 1 --print-sql)"
measure "psql \\copy (same SELECT) TO csv" "${PSQL[@]}" -c "\\copy ($SELECT_SQL) TO '$DIR/copy.csv' WITH (FORMAT csv, HEADER)"
measure "nightshift backup create (2025-01)" "$NS" backup create --year 2025 --month 1
"$NS" extrato generate --year 2025 --month 2 --print-sql > "$DIR/close.sql"
measure "psql, the close by hand (2025-02)" "${PSQL[@]}" -f "$DIR/close.sql"
measure "nightshift extrato generate (2025-01)" "$NS" extrato generate --year 2025 --month 1
