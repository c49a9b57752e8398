#!/usr/bin/env bash
# A private PgBouncer in front of the private PostgreSQL (ops/pg-local.sh), for the test that
# a worker connects through a pooler that refuses startup settings. Session pooling: PgBouncer
# from Debian 12 (1.18) keeps no prepared statements in transaction mode.
#
#   source ops/pg-local.sh && source ops/pgbouncer-local.sh
#   pgbouncer_local_start DIR    # after pg_local_start; sets PGBOUNCER_LOCAL_URL
#   pgbouncer_local_stop
#
# Installs pgbouncer from Debian's packages when it is missing. It refuses to run as root, so
# it runs as the user PostgreSQL runs as.

pgbouncer_local_start() {
    local dir="$1"
    if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
        echo "pgbouncer not found: installing it from Debian's packages" >&2
        local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq pgbouncer >&2
    fi
    local bin; bin="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
    mkdir -p "$dir"
    PGBOUNCER_LOCAL_PORT="$(pg_local_free_port)"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PG_LOCAL_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_LOCAL_PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = session
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
max_client_conn = 100
default_pool_size = 20
INI
    echo '"postgres" ""' >"$dir/users.txt"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    pg_local_run_as "$bin" -d "$dir/pgbouncer.ini" >&2 || { tail -20 "$dir/pgbouncer.log" >&2; return 1; }
    PGBOUNCER_LOCAL_DIR="$dir"
    PGBOUNCER_LOCAL_URL="postgres://postgres@127.0.0.1:$PGBOUNCER_LOCAL_PORT/nightshift?sslmode=disable"
    local tries=0
    until "$PG_LOCAL_BIN/psql" "$PGBOUNCER_LOCAL_URL" -Atqc "SELECT 1" >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 100 ] || { echo "pgbouncer did not accept connections within 10 s" >&2; tail -20 "$dir/pgbouncer.log" >&2; return 1; }
        sleep 0.1
    done
    export PGBOUNCER_LOCAL_DIR PGBOUNCER_LOCAL_PORT PGBOUNCER_LOCAL_URL
}

pgbouncer_local_stop() {
    [ -n "${PGBOUNCER_LOCAL_DIR:-}" ] && [ -f "$PGBOUNCER_LOCAL_DIR/pgbouncer.pid" ] || return 0
    kill "$(cat "$PGBOUNCER_LOCAL_DIR/pgbouncer.pid")" 2>/dev/null || true
}
