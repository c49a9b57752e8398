import PostgresNIO

extension JobStore {
    /// Returns a running attempt to `available` during graceful shutdown, without counting it:
    /// the attempt number goes back down and no error is recorded. Only called after the
    /// attempt's handler has ended, so no later write can carry the reused token. An attempt an
    /// operator asked to stop ends `cancelled` instead (never runs again). Fenced.
    @discardableResult
    public func handBack(_ ref: AttemptRef) async throws -> Bool {
        let rows = try await client.query("""
            WITH handed AS (
                UPDATE jobs SET state = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'::job_state
                                             ELSE 'available'::job_state END,
                                finished_at = CASE WHEN cancel_requested_at IS NOT NULL THEN now() END,
                                cancelled_by = CASE WHEN cancel_requested_at IS NOT NULL THEN 'operator' END,
                                attempt = CASE WHEN cancel_requested_at IS NOT NULL THEN attempt ELSE attempt - 1 END,
                                heartbeat_at = NULL,
                                attempted_at = CASE WHEN cancel_requested_at IS NOT NULL THEN attempted_at END,
                                locked_by = CASE WHEN cancel_requested_at IS NOT NULL THEN locked_by END
                WHERE id = \(ref.id) AND attempt = \(ref.attempt) AND state = 'running'
                RETURNING id, queue, state
            ), notified AS (
                SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue) FROM handed WHERE state = 'available'
            )
            SELECT id FROM handed WHERE (SELECT count(*) FROM notified) >= 0
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }
}
