-- Jobs finished per minute over the last hour, and enqueue→start latency percentiles.
SELECT date_trunc('minute', finished_at) AS minute, count(*) AS finished,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at) * 1000)::numeric, 1) AS p50_start_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at) * 1000)::numeric, 1) AS p99_start_ms
FROM jobs WHERE finished_at > now() - interval '1 hour' AND state = 'succeeded'
GROUP BY 1 ORDER BY 1 DESC;
