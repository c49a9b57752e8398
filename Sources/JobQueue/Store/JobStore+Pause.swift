import Foundation
import NightshiftCore
import PostgresNIO

extension JobStore {
    /// Pauses `queue`: from this commit on, no claim takes its jobs (the claim statements skip
    /// queues in `queue_pauses`). Running jobs finish; enqueues still go in. Pausing a paused
    /// queue keeps its first pause and returns it with `isNew` false. Throws ``InvalidInput``
    /// for a queue name or reason past ``JobLimits``.
    @discardableResult
    public func pause(queue: String, by who: String, reason: String?) async throws -> (pause: QueuePause, isNew: Bool) {
        try JobLimits.checkName(queue, field: "queue")
        try JobLimits.checkPauseReason(reason)
        let rows = try await client.query("""
            WITH paused AS (
                INSERT INTO queue_pauses (queue, paused_by, reason) VALUES (\(queue), \(who), \(reason))
                ON CONFLICT (queue) DO NOTHING
                RETURNING queue, paused_at, paused_by, reason
            ), notified AS (
                SELECT pg_notify(\(Self.notificationChannel), 'paused:' || queue) FROM paused
            )
            SELECT queue, paused_at, paused_by, reason, true FROM paused WHERE (SELECT count(*) FROM notified) >= 0
            UNION ALL
            SELECT queue, paused_at, paused_by, reason, false FROM queue_pauses WHERE queue = \(queue) AND NOT EXISTS (SELECT 1 FROM paused)
            """, logger: logger)
        for try await (name, at, by, why, isNew) in rows.decode((String, Date, String, String?, Bool).self) {
            return (QueuePause(queue: name, pausedAt: at, pausedBy: by, reason: why), isNew)
        }
        throw InvalidInput(field: "queue", "queue '\(queue)' could not be paused: try again")
    }

    /// Resumes `queue` and wakes the workers that serve it. Returns the pause it lifted, or nil
    /// when the queue was not paused.
    @discardableResult
    public func resume(queue: String) async throws -> QueuePause? {
        try JobLimits.checkName(queue, field: "queue")
        let rows = try await client.query("""
            WITH resumed AS (
                DELETE FROM queue_pauses WHERE queue = \(queue) RETURNING queue, paused_at, paused_by, reason
            ), notified AS (
                SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue) FROM resumed
            )
            SELECT queue, paused_at, paused_by, reason FROM resumed WHERE (SELECT count(*) FROM notified) >= 0
            """, logger: logger)
        for try await (name, at, by, why) in rows.decode((String, Date, String, String?).self) {
            return QueuePause(queue: name, pausedAt: at, pausedBy: by, reason: why)
        }
        return nil
    }

    /// Every paused queue, oldest pause first.
    public func pausedQueues() async throws -> [QueuePause] {
        var pauses: [QueuePause] = []
        let rows = try await client.query("SELECT queue, paused_at, paused_by, reason FROM queue_pauses ORDER BY paused_at, queue", logger: logger)
        for try await (name, at, by, why) in rows.decode((String, Date, String, String?).self) {
            pauses.append(QueuePause(queue: name, pausedAt: at, pausedBy: by, reason: why))
        }
        return pauses
    }
}
