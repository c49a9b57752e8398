import PostgresNIO

extension JobStore {
    /// Deletes every job, in any state, of the queues named `prefix` or starting with it, with
    /// their own dependency edges (as the pruner does); returns how many. For a benchmark's or a demo's own queues, not
    /// for live work: a running job deleted here finishes into nothing.
    @discardableResult
    public func deleteJobs(inQueuesStartingWith prefix: String) async throws -> Int {
        // `left(…) =`, not `LIKE prefix || '%'`: a queue name may hold `%` or `_`.
        let rows = try await client.query("""
            WITH deleted AS (
                DELETE FROM jobs WHERE left(queue, \(prefix.unicodeScalars.count)::int) = \(prefix) RETURNING id
            ), edges AS (
                DELETE FROM job_dependencies WHERE job_id IN (SELECT id FROM deleted)
            )
            SELECT count(*)::int FROM deleted
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
