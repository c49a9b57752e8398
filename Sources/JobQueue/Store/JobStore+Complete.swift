import Database
import PostgresNIO

extension JobStore {
    /// Marks one attempt succeeded, fenced; false when the attempt is no longer running.
    func markSucceeded(_ id: Int64, attempt: Int, result: String?, on runner: any QueryRunner) async throws -> Bool {
        let rows = try await runner.run("""
            UPDATE jobs SET state = 'succeeded', finished_at = now(), heartbeat_at = NULL,
                            result = \(result)::jsonb
            WHERE id = \(id) AND attempt = \(attempt) AND state = 'running'
            RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Marks many attempts succeeded in one statement (in id order, so two batches lock their
    /// rows in one order); retried on a lock conflict. Returns the ones that were fenced off
    /// (no longer running with that attempt): those writes were refused.
    public func markSucceeded(_ attempts: [AttemptRef]) async throws -> [AttemptRef] {
        guard !attempts.isEmpty else { return [] }
        let attempts = attempts.sorted()
        var binds = PostgresBindings(capacity: 2)
        binds.append(attempts.map(\.id))
        binds.append(attempts.map(\.attempt))
        let updated = try await LockConflict.retrying(logger: logger, "mark succeeded") {
            let rows = try await client.query(PostgresQuery(unsafeSQL: Self.completeBatchSQL, binds: binds), logger: logger)
            var updated = Set<Int64>()
            updated.reserveCapacity(attempts.count)
            for try await id in rows.decode(Int64.self) { updated.insert(id) }
            return updated
        }
        return Self.fenced(attempts, updated: updated)
    }

    /// Of `attempts`, those the database did not update: no longer running with that attempt.
    static func fenced(_ attempts: [AttemptRef], updated: Set<Int64>) -> [AttemptRef] {
        guard updated.count != attempts.count else { return [] }
        return attempts.filter { !updated.contains($0.id) }
    }

    /// Marks attempts (ids `$1`, attempt numbers `$2`) succeeded, fenced; returns the ids updated.
    static let completeBatchSQL = JobSQL.completeAttempts(ids: "$1", attempts: "$2")
}
