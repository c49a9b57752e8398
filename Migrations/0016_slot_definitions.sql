-- Slots keyed by schedule name AND its definition (issue 34, item 6). Two schedulers whose
-- files define a schedule of the same name differently (another kind, arguments, cron or
-- zone) no longer take turns at one slot key: each definition fires its own slot, and the
-- scheduler that finds the other's row for the same slot logs it and counts it
-- (nightshift_scheduler_definition_conflicts_total). Rows from before have definition ''.
ALTER TABLE scheduler_slots ADD COLUMN definition text NOT NULL DEFAULT '';
ALTER TABLE scheduler_slots DROP CONSTRAINT scheduler_slots_pkey;
ALTER TABLE scheduler_slots ADD PRIMARY KEY (schedule, slot, definition);

COMMENT ON COLUMN scheduler_slots.definition IS 'SHA-256 (hex, 16 chars) of the schedule''s cron, zone and the jobs it enqueues for this slot (kind, queue, priority, attempts, delay, arguments)';

CREATE OR REPLACE VIEW schedule_last_slots AS
SELECT DISTINCT ON (s.schedule)
       s.schedule, s.slot, s.enqueued_at, s.enqueued_by, s.job_ids,
       (SELECT array_agg(j.state::text ORDER BY j.id) FROM jobs j WHERE j.id = ANY(s.job_ids)) AS job_states,
       s.definition
FROM scheduler_slots s
ORDER BY s.schedule, s.slot DESC, s.enqueued_at DESC;
