#!/usr/bin/env bash
# A private PostgreSQL cluster under a folder, for tests, the demo and benchmarks.
#
#   source ops/pg-local.sh
#   pg_local_start DIR [fsync=on|off]   # sets DATABASE_URL, PG_LOCAL_DIR, PG_LOCAL_PORT
#   pg_local_stop
#
# Installs PostgreSQL from Debian's packages when it is missing (needs root or sudo). postgres
# refuses to run as root, so as root the cluster runs as the 'postgres' user (created if absent).

pg_local_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
    return 1
}

pg_local_install() {
    pg_local_bindir >/dev/null && return 0
    echo "PostgreSQL not found: installing it from Debian's packages" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql postgresql-contrib >&2
    pg_local_bindir >/dev/null
}

# libpq's headers, for the backup's COPY streaming (the BackOffice target links libpq).
pg_local_build_deps() {
    [ -f /usr/include/postgresql/libpq-fe.h ] && return 0
    echo "libpq-dev not found: installing it from Debian's packages" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libpq-dev pkg-config >&2
}

pg_local_run_as() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_local_free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

pg_local_start() {
    local dir="$1" fsync="${2:-on}"
    pg_local_install || { echo "could not install PostgreSQL" >&2; return 1; }
    local bin; bin="$(pg_local_bindir)"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && { id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres; chown postgres "$dir"; chmod 700 "$dir"; }
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        pg_local_run_as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || pg_local_run_as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; return 1; }
        # Two roles the tests of connection errors use: one that must give a password, one that
        # pg_hba.conf refuses. The first matching line wins, so these go before initdb's trust.
        pg_local_run_as sh -c "printf '%s\n' 'host all nightshift_password_role 127.0.0.1/32 scram-sha-256' \
            'host all nightshift_rejected_role 127.0.0.1/32 reject' | cat - '$dir/data/pg_hba.conf' > '$dir/data/pg_hba.new' \
            && mv '$dir/data/pg_hba.new' '$dir/data/pg_hba.conf'"
    fi
    PG_LOCAL_PORT="$(pg_local_free_port)"
    pg_local_run_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start -o \
        "-p $PG_LOCAL_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=$fsync -c max_connections=400 -c shared_buffers=256MB" \
        >/dev/null || { tail -20 "$dir/postgres.log" >&2; return 1; }
    PG_LOCAL_DIR="$dir"
    PG_LOCAL_BIN="$bin"
    export PG_LOCAL_DIR PG_LOCAL_PORT PG_LOCAL_BIN
    export PGHOST=127.0.0.1 PGPORT="$PG_LOCAL_PORT" PGUSER=postgres
    "$bin/createdb" -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres nightshift 2>/dev/null || true
    export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_LOCAL_PORT/nightshift?sslmode=disable"
}

pg_local_stop() {
    [ -n "${PG_LOCAL_DIR:-}" ] || return 0
    pg_local_run_as "$PG_LOCAL_BIN/pg_ctl" -D "$PG_LOCAL_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}
