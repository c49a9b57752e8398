import NightshiftCore
import PostgresNIO

extension JobStore {
    /// Puts a running attempt back to `scheduled` at now + `delay` without counting it: the
    /// attempt number goes back down (as at a hand-back: the handler has ended, so no later
    /// write carries the reused token), nothing is added to `errors`, and `snoozes` and
    /// `snooze_reason` record it. An attempt an operator asked to stop ends `cancelled` instead
    /// (a snooze never undoes a cancel). Fenced: false when the attempt is no longer running. Retried on
    /// a lock conflict.
    @discardableResult
    public func markSnoozed(_ ref: AttemptRef, delay: Duration, reason: String) async throws -> Bool {
        try await LockConflict.retrying(logger: logger, "mark snoozed") {
            let rows = try await client.query("""
                UPDATE jobs SET state = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'::job_state
                                             ELSE 'scheduled'::job_state END,
                                run_at = CASE WHEN cancel_requested_at IS NOT NULL THEN run_at
                                              ELSE now() + make_interval(secs => \(delay.timeInterval)) END,
                                finished_at = CASE WHEN cancel_requested_at IS NOT NULL THEN now() END,
                                cancelled_by = CASE WHEN cancel_requested_at IS NOT NULL THEN 'operator' END,
                                last_error = CASE WHEN cancel_requested_at IS NOT NULL
                                                  THEN 'cancelled: snoozed after an operator asked it to stop' ELSE last_error END,
                                attempt = CASE WHEN cancel_requested_at IS NOT NULL THEN attempt ELSE attempt - 1 END,
                                heartbeat_at = NULL,
                                attempted_at = CASE WHEN cancel_requested_at IS NOT NULL THEN attempted_at END,
                                locked_by = CASE WHEN cancel_requested_at IS NOT NULL THEN locked_by END,
                                snoozes = snoozes + 1, snooze_reason = \(reason)
                WHERE id = \(ref.id) AND attempt = \(ref.attempt) AND state = 'running'
                RETURNING id
                """, logger: logger)
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }
}
