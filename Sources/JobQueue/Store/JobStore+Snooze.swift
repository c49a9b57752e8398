import NightshiftCore
import PostgresNIO

extension JobStore {
    /// Puts a running attempt back to `scheduled` at now + `delay` without counting it: the
    /// attempt number goes back down (as at a hand-back: the handler has ended, so no later
    /// write carries the reused token), nothing is added to `errors`, and `snoozes` and
    /// `snooze_reason` record it. Fenced: false when the attempt is no longer running. Retried on
    /// a lock conflict.
    @discardableResult
    public func markSnoozed(_ ref: AttemptRef, delay: Duration, reason: String) async throws -> Bool {
        try await LockConflict.retrying(logger: logger, "mark snoozed") {
            let rows = try await client.query("""
                UPDATE jobs SET state = 'scheduled', run_at = now() + make_interval(secs => \(delay.timeInterval)),
                                attempt = attempt - 1, heartbeat_at = NULL, attempted_at = NULL, locked_by = NULL,
                                snoozes = snoozes + 1, snooze_reason = \(reason)
                WHERE id = \(ref.id) AND attempt = \(ref.attempt) AND state = 'running'
                RETURNING id
                """, logger: logger)
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }
}
