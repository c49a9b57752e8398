import PostgresNIO

extension JobStore {
    /// Returns a running attempt to `available` during graceful shutdown, without counting it:
    /// the attempt number goes back down and no error is recorded. Only called after the
    /// attempt's handler has ended, so no later write can carry the reused token. Fenced.
    @discardableResult
    public func handBack(_ ref: AttemptRef) async throws -> Bool {
        let rows = try await client.query("""
            WITH handed AS (
                UPDATE jobs SET state = 'available', attempt = attempt - 1, heartbeat_at = NULL,
                                attempted_at = NULL, locked_by = NULL
                WHERE id = \(ref.id) AND attempt = \(ref.attempt) AND state = 'running'
                RETURNING id, queue
            ), notified AS (
                SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue) FROM handed
            )
            SELECT id FROM handed WHERE (SELECT count(*) FROM notified) >= 0
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }
}
