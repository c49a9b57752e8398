-- Per queue: jobs by state and how long the oldest available job has waited.
SELECT * FROM job_queue_stats ORDER BY queue, state;

-- Running jobs whose heartbeat is old: their worker may be gone (the rescuer returns them
-- after 30 s by default).
SELECT id, kind, queue, attempt, locked_by, now() - heartbeat_at AS silent_for
FROM jobs WHERE state = 'running' AND heartbeat_at < now() - interval '15 seconds'
ORDER BY heartbeat_at;
