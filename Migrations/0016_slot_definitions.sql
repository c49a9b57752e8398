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

-- Gaps in the monthly closes (issue 34, item 7): months that are due, still have records in
-- the tables, and have neither an extrato nor a live generate-extrato job for them. Due: every
-- month before the current one in `zone`; the previous month only from day 3 on (day 1 closes
-- it, day 2's safety net retries). A month without records has nothing to lose and is no gap:
-- one back-dated record (a typo'd year) is one gap, not every month since. The one rule the
-- dashboard, the state gauges and ops/monitoring/alerts.sql all read.
CREATE FUNCTION month_close_gaps(studio_zone text, at_time timestamptz DEFAULT now())
RETURNS TABLE (ano int, mes int)
LANGUAGE sql STABLE AS $$
    WITH clock AS (
        SELECT date_trunc('month', at_time AT TIME ZONE studio_zone)::date AS this_month,
               extract(day FROM at_time AT TIME ZONE studio_zone)::int AS today
    ), record_months AS (
        SELECT DISTINCT date_trunc('month', r.data)::date AS month
        FROM (SELECT data FROM pagamentos UNION ALL SELECT data FROM sessoes
              UNION ALL SELECT data FROM comissoes UNION ALL SELECT data FROM gastos) AS r, clock
        WHERE r.data < clock.this_month
    ), due AS (
        SELECT r.month
        FROM clock, record_months r
        WHERE r.month < clock.this_month - interval '1 month' OR clock.today > 2
    )
    SELECT extract(year FROM d.month)::int, extract(month FROM d.month)::int
    FROM due d
    WHERE NOT EXISTS (SELECT 1 FROM extratos x
                      WHERE x.ano = extract(year FROM d.month) AND x.mes = extract(month FROM d.month))
      AND NOT EXISTS (SELECT 1 FROM jobs j
                      WHERE j.kind = 'generate-extrato'
                        AND j.state IN ('pending', 'available', 'scheduled', 'running', 'retryable')
                        AND j.args->>'year' = extract(year FROM d.month)::int::text
                        AND j.args->>'month' = extract(month FROM d.month)::int::text)
    ORDER BY d.month
$$;
