#!/usr/bin/env bash
# A/B of two builds' claim path: `nightshift bench` with each binary in turn, alternating, on one
# private cluster, each build in its own database (their schemas may differ).
#   bash ops/bench-ab.sh BASE_BINARY HEAD_BINARY [RUNS] [bench flags…]
# e.g. git worktree add /tmp/base ccbc481 && (cd /tmp/base && swift build -c release --product nightshift)
#      swift build -c release --product nightshift
#      bash ops/bench-ab.sh /tmp/base/.build/release/nightshift .build/release/nightshift 2 --rounds 3
set -euo pipefail
BASE="$(realpath "$1")"; HEAD="$(realpath "$2")"; RUNS="${3:-2}"; shift $(( $# < 3 ? $# : 3 ))
cd "$(dirname "$0")/.."
source ops/pg-local.sh
DIR="$(mktemp -d /tmp/ns-ab.XXXXXX)"; chmod 755 "$DIR"
trap 'pg_local_stop; rm -rf "$DIR"' EXIT
pg_local_start "$DIR/pg" on
url() { echo "postgres://postgres@127.0.0.1:$PG_LOCAL_PORT/ab_$1?sslmode=disable"; }
for name in base head; do createdb -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres "ab_$name"; done
DATABASE_URL="$(url base)" LOG_LEVEL=warning "$BASE" migrate >/dev/null
DATABASE_URL="$(url head)" LOG_LEVEL=warning "$HEAD" migrate >/dev/null
for run in $(seq 1 "$RUNS"); do
    for name in base head; do
        binary="$BASE"; [ "$name" = head ] && binary="$HEAD"
        echo "=== $name, run $run ($(date -u +%H:%M:%S) UTC)"
        DATABASE_URL="$(url "$name")" LOG_LEVEL=warning "$binary" bench "$@" 2>&1 | grep -v '^$'
    done
done
