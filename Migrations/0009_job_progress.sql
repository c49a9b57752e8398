-- A running job's progress: what it has done and, when known, of what total (rows or bytes),
-- the step it is on, the attempt that reported it and when (`at`, seconds since 1970). The job
-- writes it at most once a second (JobContext.progress); `nightshift jobs show`, the API and
-- the dashboard show it. Claims and completions never touch it, so the hot path does not pay.
ALTER TABLE jobs ADD COLUMN progress jsonb;
COMMENT ON COLUMN jobs.progress IS 'last progress report: {done, total, unit, step, estimated, attempt, at}; kept after the job ends';
