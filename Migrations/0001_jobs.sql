-- The durable job queue. See docs/job-states.md for the state machine.

CREATE TYPE job_state AS ENUM (
    'available',   -- ready to be claimed now
    'scheduled',   -- waiting for run_at
    'running',     -- claimed by a worker (locked_by), heartbeating
    'retryable',   -- failed, will run again at run_at
    'succeeded',   -- done
    'discarded',   -- failed for good (attempts used up, unknown kind, bad args)
    'cancelled'    -- cancelled by a person
);

CREATE TABLE jobs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 128),
    queue               text        NOT NULL DEFAULT 'default' CHECK (length(queue) BETWEEN 1 AND 128),
    args                jsonb       NOT NULL DEFAULT '{}'::jsonb,
    state               job_state   NOT NULL DEFAULT 'available',
    priority            smallint    NOT NULL DEFAULT 0,
    attempt             integer     NOT NULL DEFAULT 0,
    max_attempts        integer     NOT NULL DEFAULT 20 CHECK (max_attempts > 0),
    run_at              timestamptz NOT NULL DEFAULT now(),
    unique_key          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    attempted_at        timestamptz,
    finished_at         timestamptz,
    heartbeat_at        timestamptz,
    locked_by           text,
    last_error          text,
    errors              jsonb       NOT NULL DEFAULT '[]'::jsonb,
    result              jsonb,
    cancel_requested_at timestamptz
);

COMMENT ON COLUMN jobs.attempt IS 'attempts started so far; also the fencing token of the running attempt';
COMMENT ON COLUMN jobs.locked_by IS 'worker (host/pid) that claimed the latest attempt';
COMMENT ON COLUMN jobs.errors IS 'one object per failed attempt: at, attempt, worker, error';

-- The claim query: WHERE state = 'available' AND queue = ANY(...) ORDER BY priority, run_at, id.
CREATE INDEX jobs_claim_idx ON jobs (queue, priority, run_at, id) WHERE state = 'available';

-- The promoter: scheduled and retryable jobs whose run_at has come.
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE state IN ('scheduled', 'retryable');

-- The rescuer: running jobs whose heartbeat is old.
CREATE INDEX jobs_heartbeat_idx ON jobs (heartbeat_at) WHERE state = 'running';

-- History and the pruner: finished jobs by state and age.
CREATE INDEX jobs_finished_idx ON jobs (state, finished_at) WHERE finished_at IS NOT NULL;

-- Idempotent enqueue: one live or succeeded job per unique key. Discarded and cancelled jobs
-- leave the index, so the same key can be enqueued again after a failure for good.
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key)
    WHERE unique_key IS NOT NULL
      AND state IN ('available', 'scheduled', 'running', 'retryable', 'succeeded');

-- Counts per queue and state, for operators (psql: SELECT * FROM job_queue_stats).
CREATE VIEW job_queue_stats AS
SELECT queue,
       state,
       count(*)                                                             AS jobs,
       min(run_at) FILTER (WHERE state = 'available')                       AS oldest_available_run_at,
       extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'available'))::numeric(12, 3)
                                                                            AS oldest_available_age_seconds
FROM jobs
GROUP BY queue, state;
