import NightshiftCore
import PostgresNIO

extension JobStore {
    /// Each queue's live jobs by state (available, scheduled, retryable, running, pending) and
    /// its jobs finished in the last `finishedWithin`, with the age of its oldest available job:
    /// the dashboard's Filas page. Unlike ``queueStats()`` (every row of `jobs`, a scan of the
    /// whole table), each part reads only its own partial index — the claim index (index-only),
    /// the due, heartbeat and pending indexes, and the BRIN index on `finished_at` for the recent
    /// finished rows — so it stays quick with millions of finished jobs kept.
    public func queueOverview(finishedWithin: Duration = .seconds(86_400)) async throws -> [QueueStats] {
        let rows = try await client.query("""
            SELECT queue, state, sum(jobs)::int, max(oldest)::float8
            FROM (
                SELECT queue, 'available' AS state, count(*) AS jobs, extract(epoch FROM now() - min(run_at)) AS oldest
                FROM jobs WHERE state = 'available' GROUP BY queue
                UNION ALL
                SELECT queue, state::text, count(*), NULL FROM jobs WHERE state IN ('scheduled', 'retryable') GROUP BY 1, 2
                UNION ALL
                SELECT queue, 'running', count(*), NULL FROM jobs WHERE heartbeat_at IS NOT NULL AND state = 'running' GROUP BY 1
                UNION ALL
                SELECT queue, 'pending', count(*), NULL FROM jobs WHERE state = 'pending' GROUP BY 1
                UNION ALL
                SELECT queue, state::text, count(*), NULL FROM jobs
                WHERE finished_at >= now() - make_interval(secs => \(finishedWithin.timeInterval))
                  AND state IN ('succeeded', 'discarded', 'cancelled')
                GROUP BY 1, 2
            ) AS parts
            GROUP BY queue, state ORDER BY queue, state
            """, logger: logger)
        return try await Self.queueStats(from: rows)
    }
}
