-- Autovacuum settings for `jobs`, a table of churn: every job is an insert and two updates (the
-- claim, the completion), none of them HOT (the state is in the partial indexes' predicates), so
-- each leaves two dead versions behind and a dead entry in the claim index. PostgreSQL's defaults
-- vacuum a table once a fifth of its rows are dead: with ten million finished rows kept for the
-- 30-day history that is two million dead rows — and dead entries the claim scans step over —
-- before the first vacuum. These start it at 2 % (plus 1,000), and analyze as often, so the
-- planner's counts of available rows stay close. fillfactor stays at 100: measured with 60, the
-- claim path was slower (docs/benchmarks.md), as no update here can be HOT anyway.
ALTER TABLE jobs SET (
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.02,
    autovacuum_analyze_threshold = 1000
);
