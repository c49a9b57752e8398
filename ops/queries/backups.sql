-- The last successful dump of each type per branch, and whether its drill passed
-- ('unverified': an encrypted dump drilled where there was no identity to open it).
SELECT DISTINCT ON (branch, type)
       branch, type, id, finished_at, size_mb, verification_status, verified_at, encryption, object_key
FROM backup_history
WHERE status = 'completed'
ORDER BY branch, type, finished_at DESC;

-- Seed 003's KPIs per branch over 30 days: success rate, sizes, durations, verified dumps.
SELECT * FROM backup_kpis ORDER BY branch;

-- Branches whose newest completed dump is older than 26 hours: the nightly dump is not happening.
SELECT branch, max(finished_at) AS last_dump, now() - max(finished_at) AS age
FROM backup_history WHERE status = 'completed'
GROUP BY branch HAVING max(finished_at) < now() - interval '26 hours';
