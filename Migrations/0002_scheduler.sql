-- One row per schedule slot that a scheduler fired. Inserting the row and enqueuing the
-- slot's jobs happen in one transaction, so across any number of scheduler replicas each slot
-- is enqueued once; the jobs' unique keys make a second schedule (the day-2 safety net)
-- enqueuing the same work idempotent too.
CREATE TABLE scheduler_slots (
    schedule    text        NOT NULL,
    slot        timestamptz NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    enqueued_by text        NOT NULL,
    job_ids     bigint[]    NOT NULL DEFAULT '{}',
    inserted    boolean[]   NOT NULL DEFAULT '{}',
    PRIMARY KEY (schedule, slot)
);

COMMENT ON COLUMN scheduler_slots.inserted IS 'per job: true if this slot inserted it, false if its unique key was already held';

-- The latest slot of each schedule and the state of the jobs it enqueued, for operators.
CREATE VIEW schedule_last_slots AS
SELECT DISTINCT ON (s.schedule)
       s.schedule, s.slot, s.enqueued_at, s.enqueued_by, s.job_ids,
       (SELECT array_agg(j.state::text ORDER BY j.id) FROM jobs j WHERE j.id = ANY(s.job_ids)) AS job_states
FROM scheduler_slots s
ORDER BY s.schedule, s.slot DESC;
