-- The minimal queue table of `nightshift bench`: what the machine's PostgreSQL allows a queue
-- table, measured with the same claim-and-complete script as `jobs`. It takes `jobs`'s columns
-- (so its rows are as wide, whatever later migrations add) with only a primary key and the
-- claim index: no other index, no check, no trigger. `{table}` is its name.
CREATE TABLE {table} (LIKE jobs INCLUDING DEFAULTS INCLUDING IDENTITY);
ALTER TABLE {table} ADD PRIMARY KEY (id);
CREATE INDEX {table}_claim_idx ON {table} (queue, priority, run_at, id) WHERE state = 'available';
ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000,
                         autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000)
