import PostgresNIO

extension JobStore {
    public struct HeartbeatResult: Sendable {
        /// Attempts still running here; the heartbeat was recorded.
        public var alive: Set<AttemptRef> = []
        /// Of those, the ones a person asked to cancel.
        public var cancelRequested: Set<AttemptRef> = []
    }

    /// Records that these attempts are alive. An attempt missing from `alive` was rescued,
    /// cancelled or finished elsewhere, and its worker must drop it.
    public func heartbeat(_ attempts: [AttemptRef]) async throws -> HeartbeatResult {
        var result = HeartbeatResult()
        guard !attempts.isEmpty else { return result }
        // In id order, as completions are written: two statements that lock the same rows in
        // the same order cannot deadlock (a completion of a job the heartbeat still listed).
        let attempts = attempts.sorted()
        let rows = try await client.query("""
            UPDATE jobs SET heartbeat_at = now()
            FROM unnest(\(attempts.map(\.id))::bigint[], \(attempts.map(\.attempt))::int[]) AS live(id, attempt)
            WHERE jobs.id = live.id AND jobs.attempt = live.attempt AND jobs.state = 'running'
            RETURNING jobs.id, jobs.attempt, jobs.cancel_requested_at IS NOT NULL
            """, logger: logger)
        for try await (id, attempt, cancel) in rows.decode((Int64, Int, Bool).self) {
            let ref = AttemptRef(id: id, attempt: attempt)
            result.alive.insert(ref)
            if cancel { result.cancelRequested.insert(ref) }
        }
        return result
    }
}
