-- Fewer index entries per finished job (issue 14).
--
-- Every state change of a job is a non-HOT update (`state` is in every partial index's
-- predicate), so the new row version gets an entry in the primary key and in every index whose
-- predicate it matches. `jobs_finished_idx (state, finished_at) WHERE finished_at IS NOT NULL`
-- matched every completed job: one b-tree insertion per job, for the pruner and a few
-- monitoring queries. Its readers are served instead by:
--
-- * a BRIN index on finished_at for the pruner's `finished_at < cutoff` and time-range history
--   queries. Jobs finish in roughly the order they were written, so a page range's finished_at
--   span is narrow; adding a row to a range only touches its summary when the row widens it;
-- * a b-tree over discarded jobs only (few, and what alerts and dashboards ask for);
-- * a b-tree over the back office's successful jobs only, for "when did the last month backup
--   or cloud prune succeed" (the metrics' last-success gauges), which no-op and application
--   jobs never enter.
DROP INDEX jobs_finished_idx;
CREATE INDEX jobs_finished_brin ON jobs USING brin (finished_at) WITH (pages_per_range = 32, autosummarize = on);
CREATE INDEX jobs_discarded_idx ON jobs (finished_at) WHERE state = 'discarded';
CREATE INDEX jobs_back_office_succeeded_idx ON jobs (kind, finished_at)
    WHERE state = 'succeeded'
      AND kind IN ('backup-month', 'generate-extrato', 'nightly-dump', 'push-metrics', 'prune-cloud', 'restore-drill');
