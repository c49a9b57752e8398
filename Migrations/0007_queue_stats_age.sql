-- job_queue_stats.oldest_available_age_seconds was numeric(12, 3): at most ~31.7 years. A job
-- enqueued with a run_at further in the past (the API and CLI accept any run_at; a past one
-- means "now") made every read of the view fail with a numeric overflow, and with it
-- `nightshift queue stats`, GET /api/queues, the queue gauges and ops/monitoring/alerts.sql.
-- Same columns, the age rounded to milliseconds without an upper bound.
DROP VIEW job_queue_stats;
CREATE VIEW job_queue_stats AS
SELECT queue,
       state,
       count(*)                                                                   AS jobs,
       min(run_at) FILTER (WHERE state = 'available')                             AS oldest_available_run_at,
       round(extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'available')), 3)
                                                                                  AS oldest_available_age_seconds
FROM jobs
GROUP BY queue, state;
