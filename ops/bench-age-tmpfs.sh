#!/usr/bin/env bash
# Encryption alone, without the disk (issue 13): a 1 GiB file of random bytes in /dev/shm
# encrypted by `age -r` and by `nightshift bench encrypt --no-sync` (the backup's write path:
# age format, SHA-256 of the output, temporary name, rename), the order swapped each round,
# each timed by /usr/bin/time (wall, user and system CPU, peak RSS).
#   bash ops/bench-age-tmpfs.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-6}"
command -v age >/dev/null || { echo "install age (Debian package age)" >&2; exit 1; }
swift build -c release --product nightshift >/dev/null 2>&1
NS="$(swift build -c release --show-bin-path)/nightshift"
DIR="$(mktemp -d /dev/shm/nightshift-bench-age.XXXXXX)"
# See ops/bench-age.sh: free-page reporting to the host makes first touches of memory swing.
REPORTING=/sys/module/page_reporting/parameters/page_reporting_order
REPORTING_WAS=""
if [ -w "$REPORTING" ]; then REPORTING_WAS="$(cat "$REPORTING")"; echo 10 >"$REPORTING"; fi
trap 'rm -rf "$DIR"; [ -n "$REPORTING_WAS" ] && echo "$REPORTING_WAS" >"$REPORTING"' EXIT
"$NS" backup keygen --output "$DIR/backup.key" >"$DIR/recipient" 2>/dev/null
RECIPIENT="$(cat "$DIR/recipient")"
head -c 1073741824 /dev/urandom >"$DIR/plain.bin"
timed() { /usr/bin/time -f "%e %U %S %M" -o "$DIR/time" "$@" >/dev/null; read -r wall user system rss <"$DIR/time"
          python3 -c "import sys; w,u,s,r=sys.argv[1:]; print(f'{float(w):.2f}s (cpu {float(u)+float(s):.2f}s, rss {int(r)//1024}MB)')" "$wall" "$user" "$system" "$rss"; }
run_age() { echo "age $(timed age -r "$RECIPIENT" -o "$DIR/a.age" "$DIR/plain.bin")"; rm -f "$DIR/a.age"; }
run_ours() { echo "ours $(timed "$NS" bench encrypt "$DIR/plain.bin" "$DIR/o.age" --recipient "$RECIPIENT" --no-sync)"
             age --decrypt -i "$DIR/backup.key" "$DIR/o.age" | cmp -s - "$DIR/plain.bin" || { echo "age could not read ours back" >&2; exit 1; }
             rm -f "$DIR/o.age"; }
echo "== 1 GiB in tmpfs ($(nproc) cores, age $(age --version), page reporting order $(cat "$REPORTING" 2>/dev/null || echo -))"
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then first=$(run_age); second=$(run_ours); else first=$(run_ours); second=$(run_age); fi
    echo "round $round: $first; $second"
done
