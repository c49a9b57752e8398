-- Job dependencies (issue 25): a job that waits for other jobs is 'pending' until every one of
-- them has succeeded. A value added to an enum cannot be used in the transaction that adds it,
-- so the tables and the trigger that use it come in the next migration.
ALTER TYPE job_state ADD VALUE IF NOT EXISTS 'pending' BEFORE 'available';
