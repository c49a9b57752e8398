-- Queue features (issue 25): snooze, paused queues and job dependencies.

-- Snooze: a handler says "not yet, again in D". The job goes back to 'scheduled' at now() + D
-- without counting the attempt (its number goes back down, as at a hand-back) and without an
-- entry in `errors`; these two columns say it happened.
ALTER TABLE jobs
    ADD COLUMN snoozes        integer NOT NULL DEFAULT 0,
    ADD COLUMN snooze_reason  text,
    -- Set on a job once another job waits for it, so the trigger below fires only for those.
    ADD COLUMN has_dependents boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN jobs.snoozes IS 'times a handler snoozed this job (not counted as attempts)';
COMMENT ON COLUMN jobs.snooze_reason IS 'what the handler said at its latest snooze';

-- Paused queues: no worker on any machine claims from a queue listed here; running jobs
-- finish, enqueues still go in. `nightshift queue pause Q` / `resume Q`.
CREATE TABLE queue_pauses (
    queue     text        PRIMARY KEY CHECK (length(queue) BETWEEN 1 AND 128),
    paused_at timestamptz NOT NULL DEFAULT now(),
    paused_by text        NOT NULL,
    reason    text
);

-- Dependencies: job_id waits for depends_on. Rows are written once, at the dependent's
-- enqueue, when every dependency exists, so no cycle can form. No foreign keys: a key on
-- `jobs` would put a check on every update of the claim path, and the pruner removes both.
CREATE TABLE job_dependencies (
    job_id     bigint NOT NULL,
    depends_on bigint NOT NULL,
    -- 'cancel': a dependency discarded or cancelled cancels the dependent; 'run': the dependent
    -- runs once the dependency has finished, however it ended.
    on_failure text   NOT NULL DEFAULT 'cancel' CHECK (on_failure IN ('cancel', 'run')),
    PRIMARY KEY (job_id, depends_on)
);
CREATE INDEX job_dependencies_depends_on_idx ON job_dependencies (depends_on);

-- A pending job holds its unique key like any live job: the index gains 'pending'.
DROP INDEX jobs_unique_key_idx;
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key)
    WHERE unique_key IS NOT NULL
      AND state IN ('pending', 'available', 'scheduled', 'running', 'retryable', 'succeeded');

-- Pending jobs by nothing else: the dashboard and `jobs list --state pending` find them here.
CREATE INDEX jobs_pending_idx ON jobs (id) WHERE state = 'pending';

-- When a job that others wait for finishes, in the same transaction: dependents whose every
-- dependency is now satisfied become available (or scheduled, if their run_at is ahead), and
-- dependents of a discarded or cancelled job are cancelled with that reason (unless they asked
-- to run anyway). It fires only for rows with `has_dependents`, so the claim path of every
-- other job is untouched.
--
-- Two dependencies of one job can finish at once in two transactions: each locks the waiting
-- dependents first (in id order), so the second waits for the first to commit, and its next
-- statement, in a new snapshot, sees both finished.
CREATE FUNCTION nightshift_release_dependents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    waiting bigint[];
    woken   text[];
BEGIN
    SELECT array_agg(id) INTO waiting FROM (
        SELECT j.id FROM jobs j
        WHERE j.id IN (SELECT d.job_id FROM job_dependencies d WHERE d.depends_on = NEW.id) AND j.state = 'pending'
        ORDER BY j.id
        FOR UPDATE
    ) AS locked;
    IF waiting IS NULL THEN
        RETURN NULL;
    END IF;

    UPDATE jobs d SET state = 'cancelled', finished_at = now(),
           last_error = format('cancelled: dependency %s (%s) was %s%s', x.id, x.kind, x.state,
                               coalesce(': ' || left(x.last_error, 500), ''))
    FROM job_dependencies e JOIN jobs x ON x.id = e.depends_on
    WHERE d.id = ANY(waiting) AND d.state = 'pending' AND e.job_id = d.id
      AND e.on_failure = 'cancel' AND x.state IN ('discarded', 'cancelled');

    WITH released AS (
        UPDATE jobs d SET state = CASE WHEN d.run_at > now() THEN 'scheduled'::job_state ELSE 'available'::job_state END
        WHERE d.id = ANY(waiting) AND d.state = 'pending'
          AND NOT EXISTS (
              SELECT 1 FROM job_dependencies e JOIN jobs x ON x.id = e.depends_on
              WHERE e.job_id = d.id
                AND NOT (x.state = 'succeeded' OR (e.on_failure = 'run' AND x.state IN ('discarded', 'cancelled'))))
        RETURNING d.queue, d.state
    )
    SELECT array_agg(DISTINCT queue) INTO woken FROM released WHERE state = 'available';
    PERFORM pg_notify('nightshift_jobs', 'available:' || queue) FROM unnest(woken) AS queue;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_release_dependents
    AFTER UPDATE OF state ON jobs
    FOR EACH ROW
    WHEN (OLD.has_dependents AND NEW.state IN ('succeeded', 'discarded', 'cancelled') AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION nightshift_release_dependents();
