-- The last slot each schedule fired and the states of the jobs it enqueued.
SELECT schedule, slot, enqueued_by, job_ids, job_states FROM schedule_last_slots ORDER BY schedule;

-- Month closes that have not succeeded: day 1 and the day-2 safety net share these keys.
SELECT unique_key, state, attempt, max_attempts, last_error
FROM jobs WHERE kind IN ('backup-month', 'generate-extrato') AND state <> 'succeeded'
ORDER BY created_at DESC;
