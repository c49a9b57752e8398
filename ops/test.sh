#!/usr/bin/env bash
# Runs every test against a private PostgreSQL that this script starts and removes.
#   bash ops/test.sh [extra `swift test` arguments, e.g. --filter Cron]
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/pg-local.sh

TEST_ROOT="$(mktemp -d /tmp/nightshift-test.XXXXXX)"
chmod 755 "$TEST_ROOT"
cleanup() { pg_local_stop; rm -rf "$TEST_ROOT"; }
trap cleanup EXIT

echo "== building (debug, with tests)"
swift build --build-tests

echo "== starting PostgreSQL in $TEST_ROOT"
pg_local_start "$TEST_ROOT/pg" off
export NIGHTSHIFT_TEST_DATABASE_URL="$DATABASE_URL"
export NIGHTSHIFT_BIN="$(swift build --show-bin-path)/nightshift"
export NIGHTSHIFT_MIGRATIONS_DIR="$PWD/Migrations"
echo "   $DATABASE_URL"

echo "== testing"
swift test --skip-build "$@"
