import Database
import NightshiftCore
import PostgresNIO

extension JobStore {
    /// Records a failed attempt: an entry in `errors`, then `retryable` at `now() + retryDelay`,
    /// or `discarded` when attempts are used up or `discard` is set, or `cancelled` (by the
    /// operator) when a cancel was requested while it ran: a failure never undoes a cancel. Fenced: returns nil when
    /// the attempt is no longer running, else the new state. Retried on a lock conflict (the
    /// cascade to dependents takes locks), so the attempt is recorded, not left to the rescuer.
    @discardableResult
    public func markFailed(
        _ ref: AttemptRef, error message: String, retryDelay: Duration, discard: Bool, worker: String
    ) async throws -> JobState? {
        try await LockConflict.retrying(logger: logger, "mark failed") {
            let delaySeconds = retryDelay.timeInterval
            let rows = try await client.query("""
                UPDATE jobs SET
                    state = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'::job_state
                                 WHEN \(discard) OR attempt >= max_attempts THEN 'discarded'::job_state
                                 ELSE 'retryable'::job_state END,
                    run_at = CASE WHEN cancel_requested_at IS NOT NULL OR \(discard) OR attempt >= max_attempts THEN run_at
                                  ELSE now() + make_interval(secs => \(delaySeconds)) END,
                    finished_at = CASE WHEN cancel_requested_at IS NOT NULL OR \(discard) OR attempt >= max_attempts THEN now() END,
                    cancelled_by = CASE WHEN cancel_requested_at IS NOT NULL THEN 'operator' END,
                    heartbeat_at = NULL,
                    last_error = \(message),
                    errors = errors || jsonb_build_array(jsonb_build_object(
                        'at', now(), 'attempt', attempt, 'worker', \(worker), 'error', \(message)))
                WHERE id = \(ref.id) AND attempt = \(ref.attempt) AND state = 'running'
                RETURNING state::text
                """, logger: logger)
            for try await state in rows.decode(String.self) { return JobState(rawValue: state) }
            return nil
        }
    }
}
