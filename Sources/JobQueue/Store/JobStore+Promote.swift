import Foundation
import PostgresNIO

extension JobStore {
    /// Makes scheduled and retryable jobs whose time has come `available`, and wakes workers of
    /// their queues. Returns how many were promoted. An empty `queues` means every queue.
    /// `now` is the database's clock unless a caller (a test) passes one.
    public func promoteDueJobs(queues: [String] = [], limit: Int = 10_000, now: Date? = nil) async throws -> Int {
        let rows = try await client.query("""
            WITH due AS (
                SELECT id FROM jobs
                WHERE state IN ('scheduled', 'retryable') AND run_at <= coalesce(\(now)::timestamptz, now())
                  AND (cardinality(\(queues)::text[]) = 0 OR queue = ANY(\(queues)::text[]))
                ORDER BY run_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), promoted AS (
                UPDATE jobs SET state = 'available' FROM due WHERE jobs.id = due.id
                RETURNING jobs.queue
            ), notified AS (
                SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue)
                FROM (SELECT DISTINCT queue FROM promoted) q
            )
            SELECT count(*)::int FROM promoted WHERE (SELECT count(*) FROM notified) >= 0
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
