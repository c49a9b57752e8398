import Foundation
import NightshiftCore
import PostgresNIO

extension JobStore {
    /// Deletes one batch of finished jobs older than their retention; returns how many. `now`
    /// is the database's clock unless a caller (a test) passes one.
    public func pruneFinishedJobs(
        succeededAndCancelledOlderThan keep: Duration, discardedOlderThan keepDiscarded: Duration, limit: Int,
        now: Date? = nil
    ) async throws -> Int {
        let rows = try await client.query("""
            WITH old AS (
                SELECT id FROM jobs
                WHERE (state IN ('succeeded', 'cancelled')
                       AND finished_at < coalesce(\(now)::timestamptz, now()) - make_interval(secs => \(keep.timeInterval)))
                   OR (state = 'discarded'
                       AND finished_at < coalesce(\(now)::timestamptz, now()) - make_interval(secs => \(keepDiscarded.timeInterval)))
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), deleted AS (
                DELETE FROM jobs USING old WHERE jobs.id = old.id RETURNING 1
            )
            SELECT count(*)::int FROM deleted
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
