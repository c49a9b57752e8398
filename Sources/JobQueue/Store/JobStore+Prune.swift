import Foundation
import NightshiftCore
import PostgresNIO

extension JobStore {
    /// Deletes one batch of finished jobs older than their retention; returns how many. `now`
    /// is the database's clock unless a caller (a test) passes one. Succeeded and cancelled
    /// jobs are found through the BRIN index on `finished_at`, discarded ones through their own
    /// index (migration 0006): two selects, as an `OR` of both would read the whole table.
    /// Their `job_dependencies` rows go with them. A job that others wait for stays while any
    /// dependent of it is still in the table (whatever its state): its outcome is what the
    /// dependent's retry reads, and "missing" is never taken for "succeeded".
    public func pruneFinishedJobs(
        succeededAndCancelledOlderThan keep: Duration, discardedOlderThan keepDiscarded: Duration, limit: Int,
        now: Date? = nil
    ) async throws -> Int {
        let rows = try await client.query("""
            WITH finished AS (
                SELECT id FROM jobs
                WHERE state IN ('succeeded', 'cancelled')
                  AND finished_at < coalesce(\(now)::timestamptz, now()) - make_interval(secs => \(keep.timeInterval))
                  AND NOT (has_dependents AND EXISTS (SELECT 1 FROM job_dependencies e WHERE e.depends_on = jobs.id))
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), discarded AS (
                SELECT id FROM jobs
                WHERE state = 'discarded'
                  AND finished_at < coalesce(\(now)::timestamptz, now()) - make_interval(secs => \(keepDiscarded.timeInterval))
                  AND NOT (has_dependents AND EXISTS (SELECT 1 FROM job_dependencies e WHERE e.depends_on = jobs.id))
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), deleted AS (
                DELETE FROM jobs
                WHERE id IN (SELECT id FROM finished UNION ALL SELECT id FROM discarded)
                RETURNING id
            ), edges AS (
                -- A pruned job waits for nothing any more (it finished long ago).
                DELETE FROM job_dependencies WHERE job_id IN (SELECT id FROM deleted)
            )
            SELECT count(*)::int FROM deleted
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
