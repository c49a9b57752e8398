-- Every failed attempt of the last 7 days, newest first: job, kind, attempt, worker, error.
SELECT j.id, j.kind, j.state, e->>'attempt' AS attempt, e->>'worker' AS worker,
       (e->>'at')::timestamptz AS failed_at, left(e->>'error', 80) AS error
FROM jobs j, jsonb_array_elements(j.errors) AS e
WHERE (e->>'at')::timestamptz > now() - interval '7 days'
ORDER BY failed_at DESC
LIMIT 50;
