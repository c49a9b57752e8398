-- Checks that make a stopped safety net impossible to miss. Each query returns rows only when
-- something needs a person; run them from cron, a monitoring agent or psql:
--   psql "$DATABASE_URL" -f ops/monitoring/alerts.sql
-- Thresholds are the defaults' schedule plus slack; adjust to your schedules.

-- 1. Jobs that failed for good in the last 7 days.
SELECT 'discarded job' AS alert, id, kind, unique_key, finished_at, left(last_error, 120) AS detail
FROM jobs
WHERE state = 'discarded' AND finished_at > now() - interval '7 days'
ORDER BY finished_at DESC;

-- 2. A month that should be closed but has no extrato: after day 2 (the safety net), last
--    month must have one.
SELECT 'month not closed' AS alert, to_char(date_trunc('month', now() - interval '1 month'), 'YYYY-MM') AS month
WHERE extract(day FROM now()) > 2
  AND NOT EXISTS (
      SELECT 1 FROM extratos
      WHERE make_date(ano, mes, 1) = date_trunc('month', now() - interval '1 month')::date);

-- 3. A schedule that has not fired for longer than its period allows.
SELECT 'schedule silent' AS alert, schedule, max(slot) AS last_slot
FROM scheduler_slots
GROUP BY schedule
HAVING max(slot) < now() - CASE
    WHEN schedule LIKE '%monthly%' THEN interval '32 days'
    WHEN schedule LIKE '%prune%' THEN interval '8 days'
    ELSE interval '26 hours' END;

-- 4. Work waiting too long: the oldest available job of a queue is over 10 minutes old (no
--    worker is running for it, or the workers cannot keep up).
--    A paused queue backs up on purpose (see 6).
SELECT 'queue backed up' AS alert, queue, oldest_available_age_seconds
FROM job_queue_stats
WHERE state = 'available' AND oldest_available_age_seconds > 600
  AND queue NOT IN (SELECT queue FROM queue_pauses);

-- 5. Running jobs whose worker stopped heartbeating and that no rescuer has returned (no worker
--    with maintenance is running).
SELECT 'stuck job' AS alert, id, kind, locked_by, now() - heartbeat_at AS silent_for
FROM jobs
WHERE state = 'running' AND heartbeat_at < now() - interval '5 minutes';

-- 6. A queue paused for over 4 hours: none of its jobs start until `nightshift queue resume`.
SELECT 'queue paused' AS alert, queue, paused_by, reason, now() - paused_at AS paused_for
FROM queue_pauses
WHERE paused_at < now() - interval '4 hours';

-- 7. A branch whose latest restore drill failed: `nightshift backups show ID` names the tables.
SELECT 'restore drill failed' AS alert, branch, id AS backup_id, verified_at, reason
FROM (SELECT DISTINCT ON (branch) branch, id, verified_at, verification_status, verification_details->>'reason' AS reason
      FROM backup_history WHERE verification_status IN ('true', 'false')
      ORDER BY branch, verified_at DESC) AS latest
WHERE verification_status = 'false';

-- 8. A safety net silent for longer than its schedule allows. `last_success` is when each net
--    last succeeded, defined as in Sources/BackOffice/SafetyNet/SafetyNetReadings.swift — the
--    home page's "last success" and the gauge nightshift_last_success_timestamp_seconds read the
--    same (a test checks the three agree on one database). A net that never succeeded has no
--    row here: see "never made" below.
WITH last_success (what, branch, succeeded_at) AS (
    SELECT 'month_backup', '', max(finished_at) FROM jobs WHERE kind = 'backup-month' AND state = 'succeeded'
    UNION ALL SELECT 'extrato', '', max(run_at) FROM extrato_runs WHERE status = 'success'
    UNION ALL SELECT 'nightly_dump', branch, max(finished_at) FROM backup_history
              WHERE status IN ('completed', 'expired') GROUP BY branch
    UNION ALL SELECT 'restore_drill', branch, max(verified_at) FROM backup_history
              WHERE verification_status = 'true' GROUP BY branch
    UNION ALL SELECT 'metrics_push', branch, max(pushed_at) FROM daily_summaries WHERE pushed_at IS NOT NULL GROUP BY branch
    UNION ALL SELECT 'cloud_prune', '', max(finished_at) FROM jobs WHERE kind = 'prune-cloud' AND state = 'succeeded'
)
SELECT 'safety net silent' AS alert, what, branch, succeeded_at AS last_success
FROM last_success
WHERE succeeded_at < now() - CASE what
    WHEN 'month_backup' THEN interval '32 days'
    WHEN 'extrato' THEN interval '32 days'
    WHEN 'restore_drill' THEN interval '8 days'
    WHEN 'cloud_prune' THEN interval '8 days'
    ELSE interval '26 hours' END
ORDER BY what, branch;

-- 9. No dump at all, once the deployment (its first migration) is older than 26 hours (it
--    runs at 22:00 every night).
SELECT 'nightly dump never made' AS alert, min(applied_at) AS deployed_at
FROM schema_migrations
HAVING min(applied_at) < now() - interval '26 hours'
   AND NOT EXISTS (SELECT 1 FROM backup_history WHERE status IN ('completed', 'expired'));

-- 9. Gaps in the monthly closes: due months (any before last month; last month from day 3)
--    with records in the tables and no live generate-extrato job — a downtime across
--    month-ends, a close that failed for good, or records of a closed month that arrived after
--    its close. The rule is month_close_gaps (migrations 0016, 0017); give it the studio's TZ.
--    For each, oldest first: `nightshift backup create --year Y --month M`, then
--    `nightshift extrato generate --year Y --month M --force`.
SELECT 'month close gap' AS alert, ano, mes FROM month_close_gaps('America/Sao_Paulo');
