import Database
import NightshiftCore
import PostgresNIO

extension JobStore {
    /// The enqueue of a job with dependencies (``NewJob/dependsOn``), which only such jobs pay
    /// for. The dependencies are resolved (each must exist: an id, or a unique key a live job
    /// holds) and marked `has_dependents`, which locks them, so a dependency finishing meanwhile
    /// either finished before (its state is read here after the lock) or fires the release
    /// trigger after this commit. The job goes in `pending` while any dependency has not
    /// succeeded; `available` (or `scheduled`) when all have; `cancelled` with the reason when
    /// one was discarded or cancelled and the job did not ask to run anyway.
    func enqueueDependent<Row>(
        _ job: NewJob, on runner: any QueryRunner, returning columns: String, _ decode: (PostgresRow) throws -> Row
    ) async throws -> (Row, Bool) {
        let dependencies = try await resolve(job.dependsOn, on: runner)
        let runAnyway = job.onDependencyFailure == .run
        for _ in 0..<10 {
            let rows = try await runner.run("""
                WITH marked AS (
                    UPDATE jobs SET has_dependents = true WHERE id = ANY(\(dependencies)::bigint[])
                    RETURNING id, kind, state, last_error
                ), edges AS (
                    SELECT id, kind, state, last_error,
                           nightshift_dependency_edge(state, \(job.onDependencyFailure.rawValue)) AS edge
                    FROM marked
                ), verdict AS (
                    SELECT count(*) AS found,
                           coalesce(bool_or(edge = 'failed'), false) AS failed,
                           coalesce(bool_and(edge = 'met'), true) AS satisfied,
                           min(id) FILTER (WHERE edge = 'failed') AS cause,
                           (array_agg(nightshift_dependency_cancel_text(id, kind, state, last_error) ORDER BY id)
                                FILTER (WHERE edge = 'failed'))[1] AS reason
                    FROM edges
                ), ins AS (
                    INSERT INTO jobs (kind, queue, args, state, priority, max_attempts, run_at, unique_key, finished_at, last_error,
                                      cancelled_by, cancelled_by_dependency)
                    SELECT \(job.kind), \(job.queue), \(job.args)::jsonb,
                           CASE WHEN v.failed THEN 'cancelled'::job_state
                                WHEN NOT v.satisfied THEN 'pending'::job_state
                                WHEN \(job.runAt)::timestamptz > now() THEN 'scheduled'::job_state
                                ELSE 'available'::job_state END,
                           \(job.priority), \(job.maxAttempts), COALESCE(\(job.runAt)::timestamptz, now()), \(job.uniqueKey),
                           CASE WHEN v.failed THEN now() END, CASE WHEN v.failed THEN v.reason END,
                           CASE WHEN v.failed THEN 'dependency' END, v.cause
                    FROM verdict v
                    WHERE v.found = \(dependencies.count)
                      AND NOT (v.failed AND EXISTS (SELECT 1 FROM jobs h WHERE h.unique_key = \(job.uniqueKey)
                                                    AND h.state IN (\(unescaped: JobSQL.uniqueStates))))
                    \(unescaped: JobSQL.onUniqueKeyConflict)
                    DO NOTHING
                    RETURNING *
                ), inserted_edges AS (
                    INSERT INTO job_dependencies (job_id, depends_on, on_failure)
                    SELECT ins.id, marked.id, \(job.onDependencyFailure.rawValue) FROM ins CROSS JOIN marked
                ), notified AS (
                    SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue) FROM ins WHERE state = 'available'
                )
                SELECT \(unescaped: columns), true FROM ins WHERE (SELECT count(*) FROM notified) >= 0
                UNION ALL
                SELECT \(unescaped: columns), false FROM jobs
                WHERE unique_key = \(job.uniqueKey) AND state IN (\(unescaped: JobSQL.uniqueStates))
                  AND NOT EXISTS (SELECT 1 FROM ins)
                LIMIT 1
                """, logger: logger)
            if let found = try await firstRow(rows, of: job, decode) { return found }
            // A dependency went away between the two statements (pruned), or the unique key
            // changed hands: look again.
            _ = try await resolve(job.dependsOn, on: runner)
        }
        throw EnqueueError.uniqueKeyContended(job.uniqueKey ?? "")
    }

    /// The ids of `dependencies`, sorted (the order their rows are locked in), or an error
    /// naming the first that does not exist.
    func resolve(_ dependencies: [JobDependency], on runner: any QueryRunner) async throws -> [Int64] {
        let ids: [Int64] = dependencies.map { dependency in
            if case .id(let id) = dependency { return id }
            return 0
        }
        let keys: [String] = dependencies.map { dependency in
            if case .uniqueKey(let key) = dependency { return key }
            return ""
        }
        let rows = try await runner.run("""
            SELECT w.n::int, CASE WHEN w.id > 0 THEN (SELECT j.id FROM jobs j WHERE j.id = w.id)
                                  ELSE (SELECT j.id FROM jobs j WHERE j.unique_key = w.key
                                        AND j.state IN (\(unescaped: JobSQL.uniqueStates))) END
            FROM unnest(\(ids)::bigint[], \(keys)::text[]) WITH ORDINALITY AS w(id, key, n)
            ORDER BY w.n
            """, logger: logger)
        var found: [Int64] = []
        for try await (position, id) in rows.decode((Int, Int64?).self) {
            guard let id else {
                let dependency = dependencies[position - 1]
                switch dependency {
                case .id(let missing):
                    throw InvalidInput(field: "depends_on", "depends_on: job \(missing) does not exist; a job can only wait for jobs already enqueued")
                case .uniqueKey(let key):
                    throw InvalidInput(field: "depends_on", "depends_on: no live job holds unique key '\(key)' (none is pending, available, scheduled, running, retryable or succeeded): enqueue it first")
                }
            }
            found.append(id)
        }
        return Array(Set(found)).sorted()
    }
}
