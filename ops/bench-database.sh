# Sourced by the dump benchmarks (ops/bench-dump.sh, ops/bench-age.sh): fills the private
# cluster's `nightshift` database so its dump is about SIZE_MB — two months of 400,000 studio
# records, plus rows of 1 MiB of pseudo-random bytes that pg_dump cannot compress — and prints
# its size. Sets PSQL, the psql command line for it.
#   bench_dump_database NIGHTSHIFT_BINARY SIZE_MB
bench_dump_database() {
    local ns="$1" size_mb="$2"
    PSQL=(psql -qAt -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d nightshift)
    "$ns" migrate >/dev/null
    "$ns" demo seed --months 2 --rows-per-month 400000 >/dev/null
    "${PSQL[@]}" -c "CREATE TABLE padding AS SELECT n, (SELECT decode(string_agg(md5(random()::text || n || g), ''), 'hex') FROM generate_series(1, 65536) g) AS bytes FROM generate_series(1, $size_mb) n"
    "${PSQL[@]}" -c "VACUUM ANALYZE" -c "CHECKPOINT"
    echo "database: $("${PSQL[@]}" -c "SELECT pg_size_pretty(pg_database_size('nightshift'))") ($(nproc) cores, PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version'), fsync on)"
}
