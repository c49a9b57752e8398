import PostgresNIO

public enum CancelOutcome: Sendable, Equatable {
    /// A waiting job is now `cancelled`.
    case cancelled
    /// A running job was asked to stop; its worker ends it `cancelled`.
    case cancelRequested
    /// The job had already finished; nothing changed.
    case alreadyFinished(JobState)
    case notFound
}

extension JobStore {
    /// Cancels a waiting job at once, or asks the worker running it to stop.
    public func cancel(_ id: Int64) async throws -> CancelOutcome {
        try await LockConflict.retrying(logger: logger, "cancel") { try await cancelOnce(id) }
    }

    private func cancelOnce(_ id: Int64) async throws -> CancelOutcome {
        let rows = try await client.query("""
            WITH target AS (
                SELECT id, state FROM jobs WHERE id = \(id) FOR UPDATE
            ), waiting AS (
                UPDATE jobs SET state = 'cancelled', finished_at = now(), cancel_requested_at = now(),
                                cancelled_by = 'operator'
                FROM target WHERE jobs.id = target.id
                  AND target.state IN ('pending', 'available', 'scheduled', 'retryable')
                RETURNING jobs.id
            ), running AS (
                UPDATE jobs SET cancel_requested_at = now()
                FROM target WHERE jobs.id = target.id AND target.state = 'running'
                RETURNING jobs.id, pg_notify(\(Self.notificationChannel), 'cancel:' || jobs.id)
            )
            SELECT target.state::text,
                   EXISTS (SELECT 1 FROM waiting), EXISTS (SELECT 1 FROM running)
            FROM target
            """, logger: logger)
        for try await (state, cancelledWaiting, requested) in rows.decode((String, Bool, Bool).self) {
            if cancelledWaiting { return .cancelled }
            if requested { return .cancelRequested }
            return .alreadyFinished(JobState(rawValue: state) ?? .succeeded)
        }
        return .notFound
    }

    /// Ends a running attempt as `cancelled` after its handler stopped on request (an
    /// operator's cancel). Fenced; retried on a lock conflict.
    @discardableResult
    public func markCancelled(_ ref: AttemptRef, reason: String) async throws -> Bool {
        try await LockConflict.retrying(logger: logger, "mark cancelled") {
            let rows = try await client.query("""
                UPDATE jobs SET state = 'cancelled', finished_at = now(), heartbeat_at = NULL, last_error = \(reason),
                                cancelled_by = 'operator'
                WHERE id = \(ref.id) AND attempt = \(ref.attempt) AND state = 'running'
                RETURNING id
                """, logger: logger)
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }
}
