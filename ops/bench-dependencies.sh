#!/usr/bin/env bash
# Settling a chain and a fan-out of N jobs (issue 31): the head fails (the whole downstream set
# is cancelled in its statement), is retried (the set is revived), then succeeds (its direct
# dependents are released). Each step is one statement / one transaction on a private cluster
# with the migrations applied; prints psql's timing of each.
#   bash ops/bench-dependencies.sh [N=100000]
set -euo pipefail
N="${1:-100000}"
cd "$(dirname "$0")/.."
source ops/pg-local.sh
DIR="$(mktemp -d /tmp/ns-deps.XXXXXX)"; chmod 755 "$DIR"
trap 'pg_local_stop; rm -rf "$DIR"' EXIT
pg_local_start "$DIR/pg" on >/dev/null
for f in Migrations/*.sql; do psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null; done
echo "== $N jobs, PostgreSQL $(psql "$DATABASE_URL" -Atc 'SHOW server_version'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
for shape in chain fan-out; do
    echo "== $shape"
    psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v n="$N" -v chain="$([ $shape = chain ] && echo true || echo false)" <<'SQL'
TRUNCATE jobs, job_dependencies RESTART IDENTITY;
INSERT INTO jobs (kind, queue, state, attempt, has_dependents)
SELECT 'bench', 'bench', CASE WHEN g = 1 THEN 'running'::job_state ELSE 'pending' END, CASE WHEN g = 1 THEN 1 ELSE 0 END,
       CASE WHEN :chain THEN g < :n ELSE g = 1 END
FROM generate_series(1, :n) g;
INSERT INTO job_dependencies (job_id, depends_on) SELECT g, CASE WHEN :chain THEN g - 1 ELSE 1 END FROM generate_series(2, :n) g;
ANALYZE jobs; ANALYZE job_dependencies;
\timing on
\echo -- the head is discarded: every dependent cancelled
UPDATE jobs SET state = 'discarded', finished_at = now() WHERE id = 1;
\echo -- the head is retried: every dependent revived (pending)
SELECT count(*) AS touched FROM nightshift_retry(ARRAY[1::bigint], 1);
\echo -- the head succeeds: its direct dependents released
UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = 1;
\timing off
SELECT state, count(*) FROM jobs GROUP BY 1 ORDER BY 1;
SQL
done
