-- How long each kind takes, over its successful runs of the last 7 days (seconds).
SELECT kind, count(*) AS runs,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - attempted_at))::numeric, 3) AS p50_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - attempted_at))::numeric, 3) AS p95_s,
       round(max(extract(epoch FROM finished_at - attempted_at))::numeric, 3) AS max_s
FROM jobs
WHERE state = 'succeeded' AND finished_at > now() - interval '7 days'
GROUP BY kind ORDER BY p95_s DESC;
