-- Queue integrity (issue 31): job dependencies as a state machine with one owner.
--
-- * `nightshift_dependency_edge` is THE rule: what one dependency's state says about its
--   dependent. Enqueue, retry and the completion path all read it (directly or through
--   `nightshift_dependency_verdicts`); no Swift code restates it.
-- * Why a job was cancelled is a column (`cancelled_by`, `cancelled_by_dependency`), never a
--   parse of `last_error`: a retry revives only jobs its dependency cancelled, never an
--   operator's cancel.
-- * The cascade is set-based: a row trigger (which fires only for jobs others wait for) notes
--   which jobs finished; one statement-level trigger then settles the whole downstream set in
--   one pass (a recursive CTE), locking it in id order, once per statement. A chain or fan-out
--   of any length is settled without recursion in plpgsql (no stack-depth limit) and two
--   statements finishing overlapping dependencies lock in the same order (no deadlock).

ALTER TABLE jobs
    ADD COLUMN cancelled_by            text CHECK (cancelled_by IN ('operator', 'dependency')),
    ADD COLUMN cancelled_by_dependency bigint;

COMMENT ON COLUMN jobs.cancelled_by IS
    'why a cancelled job was cancelled: operator (CLI, API, dashboard, bulk cancel) or dependency (cancelled_by_dependency failed)';
COMMENT ON COLUMN jobs.cancelled_by_dependency IS 'the dependency whose failure cancelled this job (cancelled_by = dependency)';

-- Existing cancelled jobs: those the old trigger cancelled said so in last_error (read once,
-- here); every other cancel was an operator's.
UPDATE jobs j SET cancelled_by = 'dependency',
       cancelled_by_dependency = (SELECT min(e.depends_on) FROM job_dependencies e WHERE e.job_id = j.id)
WHERE j.state = 'cancelled' AND j.last_error LIKE 'cancelled: dependency %';
UPDATE jobs SET cancelled_by = 'operator' WHERE state = 'cancelled' AND cancelled_by IS NULL;

-- THE rule, for one edge: 'met', 'waiting' or 'failed'. A dependency that no longer exists
-- (NULL state) is never "met" for a job that asked to be cancelled on failure: the pruner
-- keeps a dependency while a dependent of it exists, so this is only old or hand-edited data.
CREATE FUNCTION nightshift_dependency_edge(dependency_state job_state, on_failure text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN dependency_state = 'succeeded' THEN 'met'
        WHEN dependency_state IN ('discarded', 'cancelled') OR dependency_state IS NULL
            THEN CASE WHEN on_failure = 'run' THEN 'met' ELSE 'failed' END
        ELSE 'waiting' END
$$;

-- The verdict for each of `ids` that has dependencies: 'failed' (one failed: `blocking` is the
-- lowest such), 'waiting' (`blocking` is the lowest unfinished one) or 'satisfied'. A job with
-- no dependencies has no row: it is satisfied. `ids` is joined, not matched with `= ANY`, so a
-- set of 100,000 is hashed rather than searched once per edge.
CREATE FUNCTION nightshift_dependency_verdicts(ids bigint[])
RETURNS TABLE (job_id bigint, verdict text, blocking bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.job_id,
           CASE WHEN bool_or(s.edge = 'failed') THEN 'failed'
                WHEN bool_or(s.edge = 'waiting') THEN 'waiting'
                ELSE 'satisfied' END,
           coalesce(min(e.depends_on) FILTER (WHERE s.edge = 'failed'), min(e.depends_on) FILTER (WHERE s.edge = 'waiting'))
    FROM (SELECT DISTINCT t.id FROM unnest(ids) AS t(id)) t
    JOIN job_dependencies e ON e.job_id = t.id
    LEFT JOIN jobs x ON x.id = e.depends_on
    CROSS JOIN LATERAL (SELECT nightshift_dependency_edge(x.state, e.on_failure) AS edge) s
    GROUP BY e.job_id
$$;

-- The human-readable reason a dependent was cancelled (the column says it for code).
CREATE FUNCTION nightshift_dependency_cancel_text(dependency bigint, kind text, state job_state, error text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN kind IS NULL THEN format('cancelled: dependency %s no longer exists', dependency)
                ELSE format('cancelled: dependency %s (%s) was %s%s', dependency, kind, state, coalesce(': ' || left(error, 500), '')) END
$$;

-- Settles the dependents of `roots` (jobs that just finished, or were revived and failed
-- again): every pending job downstream that now has a failed dependency is cancelled (with
-- that dependency as the cause), transitively, and every pending dependent whose
-- dependencies are now all met is released, in one pass. The pending downstream set is
-- locked in id order first, in one statement.
CREATE FUNCTION nightshift_settle_dependents(roots bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    candidates bigint[];
    woken      text[];
BEGIN
    -- The pending jobs downstream: direct dependents of the roots, and, through the
    -- dependents a failure cancels, theirs.
    WITH RECURSIVE down(id, dies) AS (
        SELECT e.job_id, nightshift_dependency_edge(r.state, e.on_failure) = 'failed'
        FROM job_dependencies e JOIN jobs r ON r.id = e.depends_on JOIN jobs j ON j.id = e.job_id AND j.state = 'pending'
        WHERE e.depends_on = ANY(roots)
        UNION
        SELECT e.job_id, e.on_failure = 'cancel'
        FROM down JOIN job_dependencies e ON e.depends_on = down.id JOIN jobs j ON j.id = e.job_id AND j.state = 'pending'
        WHERE down.dies
    )
    SELECT array_agg(DISTINCT id) INTO candidates FROM down;
    IF candidates IS NULL THEN
        RETURN;
    END IF;
    -- One global order for the whole statement.
    PERFORM 1 FROM jobs WHERE id = ANY(candidates) AND state = 'pending' ORDER BY id FOR UPDATE;

    -- Again, now that they are locked: which of them die, and the cause of each (the lowest
    -- dependency, among those it asked to be cancelled by, that failed or dies here).
    WITH RECURSIVE down(id, dies) AS (
        SELECT e.job_id, nightshift_dependency_edge(r.state, e.on_failure) = 'failed'
        FROM job_dependencies e JOIN jobs r ON r.id = e.depends_on JOIN jobs j ON j.id = e.job_id AND j.state = 'pending'
        WHERE e.depends_on = ANY(roots)
        UNION
        SELECT e.job_id, e.on_failure = 'cancel'
        FROM down JOIN job_dependencies e ON e.depends_on = down.id JOIN jobs j ON j.id = e.job_id AND j.state = 'pending'
        WHERE down.dies
    ), dying AS (
        SELECT DISTINCT id FROM down WHERE dies
    ), caused AS (
        SELECT e.job_id, min(e.depends_on) AS cause
        FROM dying JOIN job_dependencies e ON e.job_id = dying.id LEFT JOIN jobs x ON x.id = e.depends_on
        WHERE e.on_failure = 'cancel'
          AND (e.depends_on IN (SELECT id FROM dying) OR nightshift_dependency_edge(x.state, e.on_failure) = 'failed')
        GROUP BY e.job_id
    )
    UPDATE jobs d SET state = 'cancelled', finished_at = now(), cancelled_by = 'dependency',
                      cancelled_by_dependency = c.cause,
                      last_error = CASE WHEN c.cause IN (SELECT id FROM dying)
                                        THEN nightshift_dependency_cancel_text(c.cause, x.kind, 'cancelled', NULL)
                                        ELSE nightshift_dependency_cancel_text(c.cause, x.kind, x.state, x.last_error) END
    FROM caused c LEFT JOIN jobs x ON x.id = c.cause
    WHERE d.id = c.job_id AND d.state = 'pending';

    WITH released AS (
        UPDATE jobs d SET state = CASE WHEN d.run_at > now() THEN 'scheduled'::job_state ELSE 'available'::job_state END
        FROM nightshift_dependency_verdicts(candidates) v
        WHERE d.id = v.job_id AND v.verdict = 'satisfied' AND d.state = 'pending'
        RETURNING d.queue, d.state
    )
    SELECT array_agg(DISTINCT queue) INTO woken FROM released WHERE state = 'available';
    PERFORM pg_notify('nightshift_jobs', 'available:' || queue) FROM unnest(woken) AS queue;
END
$$;

-- The row trigger only notes (in a transaction-local setting) which jobs that others wait
-- for finished in this statement; it fires for no other row, so the claim path is untouched.
-- Statements run by the settling itself (pg_trigger_depth() > 0) are already covered by its
-- pass over the whole downstream set.
CREATE FUNCTION nightshift_note_finished_dependency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('nightshift.finished_dependencies',
                       coalesce(current_setting('nightshift.finished_dependencies', true), '') || NEW.id || ',', true);
    RETURN NULL;
END
$$;

CREATE FUNCTION nightshift_settle_finished_dependencies() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted text := current_setting('nightshift.finished_dependencies', true);
BEGIN
    IF noted IS NULL OR noted = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('nightshift.finished_dependencies', '', true);
    PERFORM nightshift_settle_dependents(string_to_array(rtrim(noted, ','), ',')::bigint[]);
    RETURN NULL;
END
$$;

DROP TRIGGER jobs_release_dependents ON jobs;
DROP FUNCTION nightshift_release_dependents();

CREATE TRIGGER jobs_note_finished_dependency
    AFTER UPDATE OF state ON jobs
    FOR EACH ROW
    WHEN (OLD.has_dependents AND NEW.state IN ('succeeded', 'discarded', 'cancelled')
          AND OLD.state IS DISTINCT FROM NEW.state AND pg_trigger_depth() < 1)
    EXECUTE FUNCTION nightshift_note_finished_dependency();

-- Not `UPDATE OF state`: in a statement with several UPDATEs of jobs (a cancel's `waiting` and
-- `running` CTEs), a later one that does not set `state` cancels the statement event queued by
-- the earlier one and, column-filtered, queues none: the noted jobs were never settled. Without
-- a column list the last UPDATE's event always fires; with nothing noted it returns at once.
CREATE TRIGGER jobs_settle_finished_dependencies
    AFTER UPDATE ON jobs
    FOR EACH STATEMENT
    EXECUTE FUNCTION nightshift_settle_finished_dependencies();


-- Every job that has held a unique key, by key: what a retry asks ("does a newer job with this
-- key stand for this one?"), which the partial index of live holders cannot answer.
CREATE INDEX jobs_unique_key_history_idx ON jobs (unique_key, id) WHERE unique_key IS NOT NULL;

-- A retry of `ids` (discarded or cancelled jobs), as one statement, under lock: the targets
-- and their dependencies are locked in id order first, so a dependency finishing meanwhile
-- either finished before (read here) or settles the retried job after this commits.
-- One row per target and per dependent it touched, `outcome`:
--   retried            the job is `state` again (pending while a dependency is unfinished)
--   not_retryable      its `state` is not discarded or cancelled
--   unique_key_taken   job `related` holds its unique key (live, or newer with the same key)
--   dependency_failed  its dependency `related` failed: retry that one instead
--   not_found
--   revived            a dependent the failure of retried job `related` cancelled waits again
--   revive_skipped     such a dependent was left cancelled: job `related` holds its unique key
--   revive_failed      such a dependent stays cancelled: its other dependency `related` failed
-- Dependents cancelled by an operator are never revived; a dependent never makes a retry fail.
CREATE FUNCTION nightshift_retry(ids bigint[], extra_attempts int)
RETURNS TABLE (job_id bigint, outcome text, state job_state, queue text, related bigint)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
    n int;
BEGIN
    PERFORM 1 FROM jobs j
    WHERE j.id = ANY(ids) OR j.id IN (SELECT e.depends_on FROM job_dependencies e WHERE e.job_id = ANY(ids))
    ORDER BY j.id FOR UPDATE;

    CREATE TEMP TABLE IF NOT EXISTS nightshift_retry_out (
        job_id bigint PRIMARY KEY, outcome text NOT NULL, state job_state, queue text, related bigint, cause bigint
    ) ON COMMIT DROP;
    TRUNCATE nightshift_retry_out;

    INSERT INTO nightshift_retry_out (job_id, outcome, state, queue)
    SELECT w.id, CASE WHEN j.id IS NULL THEN 'not_found' ELSE 'not_retryable' END, j.state, j.queue
    FROM (SELECT DISTINCT w.id FROM unnest(ids) AS w(id)) w LEFT JOIN jobs j ON j.id = w.id
    WHERE j.id IS NULL OR j.state NOT IN ('discarded', 'cancelled');

    INSERT INTO nightshift_retry_out (job_id, outcome, state, queue, related)
    SELECT j.id, 'unique_key_taken', j.state, j.queue, h.id
    FROM jobs j CROSS JOIN LATERAL (
        SELECT h.id FROM jobs h
        WHERE h.unique_key = j.unique_key AND h.id <> j.id
          AND (h.state IN ('pending', 'available', 'scheduled', 'running', 'retryable', 'succeeded') OR h.id > j.id)
        ORDER BY h.id DESC LIMIT 1) h
    WHERE j.id = ANY(ids) AND j.state IN ('discarded', 'cancelled') AND j.unique_key IS NOT NULL;

    -- In rounds: a target whose failed dependency is retried here waits for it (next round).
    LOOP
        WITH eligible AS (
            SELECT j.id, coalesce(v.verdict, 'satisfied') AS verdict
            FROM jobs j LEFT JOIN nightshift_dependency_verdicts(ids) v ON v.job_id = j.id
            WHERE j.id = ANY(ids) AND j.state IN ('discarded', 'cancelled')
              AND NOT EXISTS (SELECT 1 FROM nightshift_retry_out o WHERE o.job_id = j.id)
              AND coalesce(v.verdict, 'satisfied') <> 'failed'
        ), retried AS (
            UPDATE jobs j SET state = CASE WHEN e.verdict = 'waiting' THEN 'pending'::job_state ELSE 'available'::job_state END,
                              run_at = now(), finished_at = NULL, cancel_requested_at = NULL,
                              cancelled_by = NULL, cancelled_by_dependency = NULL,
                              max_attempts = greatest(j.max_attempts, j.attempt + extra_attempts)
            FROM eligible e WHERE j.id = e.id
            RETURNING j.id, j.state, j.queue
        )
        INSERT INTO nightshift_retry_out (job_id, outcome, state, queue) SELECT r.id, 'retried', r.state, r.queue FROM retried r;
        GET DIAGNOSTICS n = ROW_COUNT;
        EXIT WHEN n = 0;
    END LOOP;

    -- What the retried jobs' failures cancelled, transitively, by the recorded cause.
    INSERT INTO nightshift_retry_out (job_id, outcome, state, queue, related, cause)
    -- (Walked along the edges, whose index is whole, then checked against the recorded cause.)
    WITH RECURSIVE rev(id, cause) AS (
        SELECT d.id, d.cancelled_by_dependency FROM nightshift_retry_out o
        JOIN job_dependencies e ON e.depends_on = o.job_id
        JOIN jobs d ON d.id = e.job_id AND d.cancelled_by_dependency = o.job_id AND d.state = 'cancelled' AND d.cancelled_by = 'dependency'
        WHERE o.outcome = 'retried'
        UNION
        -- Step by step from the worktable through the indexes (LATERAL … OFFSET 0, and the
        -- function's enable_seqscan = off): statistics taken before a mass cancel would
        -- otherwise have the planner scan a table once per step, quadratic in the set.
        SELECT d.id, d.cause FROM rev
        CROSS JOIN LATERAL (SELECT e.job_id FROM job_dependencies e WHERE e.depends_on = rev.id OFFSET 0) e
        CROSS JOIN LATERAL (SELECT j.id, j.cancelled_by_dependency AS cause FROM jobs j
                            WHERE j.id = e.job_id AND j.cancelled_by_dependency = rev.id
                              AND j.state = 'cancelled' AND j.cancelled_by = 'dependency' OFFSET 0) d
    )
    SELECT rev.id, 'revive', 'cancelled', j.queue, rev.cause, rev.cause FROM rev JOIN jobs j ON j.id = rev.id
    ON CONFLICT (job_id) DO NOTHING;

    -- Left cancelled: one whose unique key a live job holds, or another revived one, newer.
    UPDATE nightshift_retry_out o SET outcome = 'revive_skipped', related = h.id
    FROM jobs d CROSS JOIN LATERAL (
        SELECT h.id FROM jobs h
        WHERE h.unique_key = d.unique_key AND h.id <> d.id
          AND (h.state IN ('pending', 'available', 'scheduled', 'running', 'retryable', 'succeeded')
               OR (h.id > d.id AND EXISTS (SELECT 1 FROM nightshift_retry_out r WHERE r.job_id = h.id AND r.outcome = 'revive')))
        ORDER BY h.id DESC LIMIT 1) h
    WHERE o.outcome = 'revive' AND d.id = o.job_id AND d.unique_key IS NOT NULL;
    -- … and what only a skipped one cancelled stays cancelled with it.
    LOOP
        UPDATE nightshift_retry_out o SET outcome = 'revive_held'
        FROM nightshift_retry_out c
        WHERE o.outcome = 'revive' AND c.job_id = o.cause AND c.outcome IN ('revive_skipped', 'revive_held');
        GET DIAGNOSTICS n = ROW_COUNT;
        EXIT WHEN n = 0;
    END LOOP;
    DELETE FROM nightshift_retry_out o WHERE o.outcome = 'revive_held';

    PERFORM 1 FROM jobs j WHERE j.id IN (SELECT o.job_id FROM nightshift_retry_out o WHERE o.outcome = 'revive')
    ORDER BY j.id FOR UPDATE;
    UPDATE jobs d SET state = 'pending', finished_at = NULL, cancel_requested_at = NULL,
                      cancelled_by = NULL, cancelled_by_dependency = NULL
    FROM nightshift_retry_out o WHERE o.outcome = 'revive' AND d.id = o.job_id AND d.state = 'cancelled';
    UPDATE nightshift_retry_out o SET outcome = 'revived', state = 'pending' WHERE o.outcome = 'revive';

    -- A revived job with another dependency that failed is cancelled again, by that one; the
    -- triggers settle its own dependents.
    WITH refailed AS (
        SELECT v.job_id, v.blocking FROM nightshift_dependency_verdicts(
            ARRAY(SELECT o.job_id FROM nightshift_retry_out o WHERE o.outcome = 'revived')) v
        WHERE v.verdict = 'failed'
    ), cancelled AS (
        UPDATE jobs d SET state = 'cancelled', finished_at = now(), cancelled_by = 'dependency',
                          cancelled_by_dependency = f.blocking,
                          last_error = nightshift_dependency_cancel_text(f.blocking, x.kind, x.state, x.last_error)
        FROM refailed f LEFT JOIN jobs x ON x.id = f.blocking
        WHERE d.id = f.job_id AND d.state = 'pending'
        RETURNING d.id, f.blocking
    )
    UPDATE nightshift_retry_out o SET outcome = 'revive_failed', state = 'cancelled', related = c.blocking
    FROM cancelled c WHERE o.job_id = c.id;

    -- A target the revival reached (a chain X → J1 → J2 retried as a whole: J2 was cancelled by
    -- J1, which X's revival just put back) was retried by it: it waits again, with its attempts.
    UPDATE jobs j SET max_attempts = greatest(j.max_attempts, j.attempt + extra_attempts)
    FROM nightshift_retry_out o WHERE o.job_id = j.id AND j.id = ANY(ids) AND o.outcome = 'revived';
    UPDATE nightshift_retry_out o SET outcome = CASE o.outcome WHEN 'revived' THEN 'retried'
                                                           WHEN 'revive_skipped' THEN 'unique_key_taken'
                                                           ELSE 'dependency_failed' END,
                                      related = CASE WHEN o.outcome = 'revived' THEN NULL ELSE o.related END
    WHERE o.job_id = ANY(ids) AND o.outcome IN ('revived', 'revive_skipped', 'revive_failed');

    -- Again, for targets whose failed dependency the revival put back (cancelled by an operator,
    -- so not revived themselves): they wait for it now.
    LOOP
        WITH eligible AS (
            SELECT j.id, coalesce(v.verdict, 'satisfied') AS verdict
            FROM jobs j LEFT JOIN nightshift_dependency_verdicts(ids) v ON v.job_id = j.id
            WHERE j.id = ANY(ids) AND j.state IN ('discarded', 'cancelled')
              AND NOT EXISTS (SELECT 1 FROM nightshift_retry_out o WHERE o.job_id = j.id)
              AND coalesce(v.verdict, 'satisfied') <> 'failed'
        ), retried AS (
            UPDATE jobs j SET state = CASE WHEN e.verdict = 'waiting' THEN 'pending'::job_state ELSE 'available'::job_state END,
                              run_at = now(), finished_at = NULL, cancel_requested_at = NULL,
                              cancelled_by = NULL, cancelled_by_dependency = NULL,
                              max_attempts = greatest(j.max_attempts, j.attempt + extra_attempts)
            FROM eligible e WHERE j.id = e.id
            RETURNING j.id, j.state, j.queue
        )
        INSERT INTO nightshift_retry_out (job_id, outcome, state, queue) SELECT r.id, 'retried', r.state, r.queue FROM retried r;
        GET DIAGNOSTICS n = ROW_COUNT;
        EXIT WHEN n = 0;
    END LOOP;

    -- What is left failed: its dependency `related` is still failed (retry that one instead).
    INSERT INTO nightshift_retry_out (job_id, outcome, state, queue, related)
    SELECT j.id, 'dependency_failed', j.state, j.queue, v.blocking
    FROM jobs j JOIN nightshift_dependency_verdicts(ids) v ON v.job_id = j.id
    WHERE j.id = ANY(ids) AND j.state IN ('discarded', 'cancelled') AND v.verdict = 'failed'
      AND NOT EXISTS (SELECT 1 FROM nightshift_retry_out o WHERE o.job_id = j.id);

    PERFORM pg_notify('nightshift_jobs', 'available:' || q)
    FROM (SELECT DISTINCT o.queue AS q FROM nightshift_retry_out o WHERE o.outcome = 'retried' AND o.state = 'available') s;

    RETURN QUERY SELECT o.job_id, o.outcome, o.state, o.queue, o.related FROM nightshift_retry_out o ORDER BY o.job_id;
END
$$;
