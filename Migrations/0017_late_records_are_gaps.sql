-- Late records of a closed month are a gap too (break-close 12). A closed month's rows left the
-- tables with its close, so any row still dated in a month that has its extrato arrived after
-- the close (or was held open across it): it is in no extrato and, until `backup create`
-- writes it into a new version, in no backup. month_close_gaps lists such a month like a month
-- never closed, so the home page, the gauge (nightshift_month_close_gaps) and the MonthCloseGap
-- alert show it without a manual `backup verify`; for both the way out is `backup create`, then
-- `extrato generate --force`. Same signature and due rule as 0016; the "has no extrato"
-- condition goes (a month without rows in the tables is never listed, closed or not).
--
-- The months that have rows are found with one index probe per month and table (a loose index
-- scan on each `*_data_idx`: the least date at or after the next month's first day), not by
-- reading every row (break-office2 6: 2,000,000 gastos of a month not yet closed took 1.2–2.8 s,
-- and the gauges run this every 15 s in every process).
-- The first day of each month before `before` in which `tbl` has a row (by its `data`), found
-- by one index probe per month (a loose index scan on the table's `data` index).
CREATE FUNCTION nightshift_months_with_rows(tbl regclass, before date) RETURNS SETOF date
LANGUAGE plpgsql STABLE AS $$
DECLARE
    month date;
BEGIN
    EXECUTE format('SELECT date_trunc(''month'', min(data))::date FROM %s WHERE data < $1', tbl) INTO month USING before;
    WHILE month IS NOT NULL LOOP
        RETURN NEXT month;
        EXECUTE format('SELECT date_trunc(''month'', min(data))::date FROM %s WHERE data >= $1 AND data < $2', tbl)
            INTO month USING (month + interval '1 month')::date, before;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION month_close_gaps(studio_zone text, at_time timestamptz DEFAULT now())
RETURNS TABLE (ano int, mes int)
LANGUAGE sql STABLE AS $$
    WITH clock AS (
        SELECT date_trunc('month', at_time AT TIME ZONE studio_zone)::date AS this_month,
               extract(day FROM at_time AT TIME ZONE studio_zone)::int AS today
    ), record_months AS (
        SELECT m AS month FROM clock, nightshift_months_with_rows('pagamentos', clock.this_month) AS m
        UNION SELECT m FROM clock, nightshift_months_with_rows('sessoes', clock.this_month) AS m
        UNION SELECT m FROM clock, nightshift_months_with_rows('comissoes', clock.this_month) AS m
        UNION SELECT m FROM clock, nightshift_months_with_rows('gastos', clock.this_month) AS m
    ), due AS (
        SELECT r.month
        FROM clock, record_months r
        WHERE r.month < clock.this_month - interval '1 month' OR clock.today > 2
    )
    SELECT extract(year FROM d.month)::int, extract(month FROM d.month)::int
    FROM due d
    WHERE NOT EXISTS (SELECT 1 FROM jobs j
                      WHERE j.kind = 'generate-extrato'
                        AND j.state IN ('pending', 'available', 'scheduled', 'running', 'retryable')
                        AND j.args->>'year' = extract(year FROM d.month)::int::text
                        AND j.args->>'month' = extract(month FROM d.month)::int::text)
    ORDER BY d.month
$$;

COMMENT ON FUNCTION month_close_gaps(text, timestamptz) IS 'Due months (before last month; last month from day 3 in studio_zone) with records still in the tables and no live generate-extrato job: never closed, or closed with records that arrived after the close. Each: nightshift backup create, then nightshift extrato generate --force.';

-- A drill's verdict on a dump whose digests are of a version the drilling release does not know
-- is refused (break-dumps 9). During a rolling upgrade a worker of an older release still claims
-- restore-drill jobs; it would compare a version-2 dump's digests by version 1's rule, find every
-- table "different" and brand a good dump failed. Every release from this one on lists the rules
-- it knows in the verdict (verification_details.knownDigestVersions); a verdict written without
-- the dump's version in that list (any older release's) fails the drill's statement instead, so
-- the job is retried — by a current worker once the old ones are gone — and the dump keeps its
-- verdict. Dumps with version-1 digests or none are drilled by every release, as before.
CREATE FUNCTION backup_history_verdict_knows_digests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.digest_version >= 2 AND NEW.verification_status IS NOT NULL
       AND NEW.verification_details IS DISTINCT FROM OLD.verification_details
       AND NOT coalesce(NEW.verification_details->'knownDigestVersions' @> to_jsonb(NEW.digest_version::int), false) THEN
        RAISE EXCEPTION 'backup % has content digests of version %, which the release that drilled it does not know: no verdict written',
                        NEW.id, NEW.digest_version
              USING ERRCODE = 'check_violation',
                    HINT = 'a worker of an older release ran this drill: finish the upgrade (stop the old workers), then drill it again';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER backup_history_verdict_knows_digests
BEFORE UPDATE OF verification_status, verification_details ON backup_history
FOR EACH ROW EXECUTE FUNCTION backup_history_verdict_knows_digests();
