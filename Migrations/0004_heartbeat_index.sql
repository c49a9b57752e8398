-- The rescuer's index, keyed the same but with a predicate no completion can match.
--
-- `WHERE state = 'running'` made the index look tiny to the planner right after VACUUM
-- ANALYZE (few running rows), so completions (`... AND jobs.state = 'running'`) read it with a
-- bitmap scan instead of probing the primary key. Bitmap scans never mark dead entries, and
-- every job that ever ran leaves one until the next VACUUM: during a 100,000-job drain each
-- completion read ~80,000 entries (17 ms). Every transition out of `running` clears
-- heartbeat_at, so `heartbeat_at IS NOT NULL` holds the same rows, and the rescuer's
-- `heartbeat_at < …` still implies it.
DROP INDEX jobs_heartbeat_idx;
CREATE INDEX jobs_heartbeat_idx ON jobs (heartbeat_at) WHERE heartbeat_at IS NOT NULL;
