#!/usr/bin/env bash
# A private S3-compatible server on loopback, for tests, the demo and benchmarks: moto's server
# with signature checking on. Every request must be signed with the IAM key this script makes.
#
#   source ops/s3-local.sh
#   s3_local_start DIR      # sets BACKUP_S3_ENDPOINT, BACKUP_S3_ACCESS_KEY, BACKUP_S3_SECRET_KEY,
#                           # BACKUP_S3_REGION, S3_LOCAL_PORT, S3_LOCAL_PID (bucket: create your own)
#   s3_local_stop
#
# Installs moto[server] from PyPI when it is missing.

s3_local_install() {
    command -v moto_server >/dev/null 2>&1 && python3 -c "import boto3" 2>/dev/null && return 0
    echo "moto_server not found: installing moto[server] from PyPI" >&2
    python3 -m pip install --quiet "moto[server]" boto3 >&2
}

s3_local_start() {
    local dir="$1"
    s3_local_install || { echo "could not install moto[server]" >&2; return 1; }
    mkdir -p "$dir"
    S3_LOCAL_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
    # Authentication from the first request; the setup below opens a window of 4 unsigned calls.
    INITIAL_NO_AUTH_ACTION_COUNT=0 python3 "$(dirname "${BASH_SOURCE[0]}")/moto-server.py" -H 127.0.0.1 -p "$S3_LOCAL_PORT" \
        >"$dir/moto.log" 2>&1 &
    S3_LOCAL_PID=$!
    local endpoint="http://127.0.0.1:$S3_LOCAL_PORT"
    python3 - "$S3_LOCAL_PORT" <<'PY' || { tail -20 "$dir/moto.log" >&2; return 1; }
import socket, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("moto_server did not start within 30 s")
PY
    local keys
    keys="$(python3 "$(dirname "${BASH_SOURCE[0]}")/s3-local-setup.py" "$endpoint")" || { tail -20 "$dir/moto.log" >&2; return 1; }
    BACKUP_S3_ENDPOINT="$endpoint"
    BACKUP_S3_ACCESS_KEY="${keys%% *}"
    BACKUP_S3_SECRET_KEY="${keys##* }"
    BACKUP_S3_REGION="us-west-004"
    S3_LOCAL_DIR="$dir"
    export BACKUP_S3_ENDPOINT BACKUP_S3_ACCESS_KEY BACKUP_S3_SECRET_KEY BACKUP_S3_REGION S3_LOCAL_PORT S3_LOCAL_PID S3_LOCAL_DIR
}

s3_local_stop() {
    [ -n "${S3_LOCAL_PID:-}" ] || return 0
    kill "$S3_LOCAL_PID" 2>/dev/null || true
    wait "$S3_LOCAL_PID" 2>/dev/null || true
}
