import Database
import Foundation
import JobQueue
import PostgresNIO

/// The tables measured: the minimal queue table beside `jobs`, the history both get, vacuuming, and removing a run's rows.
extension BenchRun {
    public static let minimalTable = "nightshift_bench_minimal"

    /// The minimal table's DDL, written once (`MinimalQueueTable.sql`, beside this file).
    public static var minimalTableSQL: String {
        String(decoding: PackageResources.MinimalQueueTable_sql, as: UTF8.self).replacingOccurrences(of: "{table}", with: minimalTable)
    }

    func createMinimalTable() async throws {
        try await dropMinimalTable()
        for statement in SQLStatementSplitter.split(Self.minimalTableSQL) {
            try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }

    func dropMinimalTable() async throws {
        try await client.query(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(Self.minimalTable)"), logger: logger)
    }

    /// `--history` finished no-op jobs (finished a day ago, as a table with pruning off keeps
    /// them) and `--scheduled` jobs a month ahead, in queues of their own, a million rows per
    /// statement; then VACUUM ANALYZE, as autovacuum would have.
    func writeHistory(queue: String) async throws {
        let started = ContinuousClock.now
        // The same rows in both tables, so their limits are measured in the same state.
        for table in ["jobs", Self.minimalTable] {
            var left = settings.history
            while left > 0 {
                let rows = min(left, 1_000_000)
                try await client.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(table) (kind, queue, state, attempt, run_at, created_at, attempted_at, finished_at)
                    SELECT 'noop', $1, 'succeeded', 1, now() - interval '1 day', now() - interval '1 day',
                           now() - interval '1 day', now() - interval '1 day' + (n % 1000) * interval '1 ms'
                    FROM generate_series(1, \(rows)) AS n
                    """, binds: binds(queue + "-history")), logger: logger)
                left -= rows
            }
            if settings.scheduled > 0 {
                try await client.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(table) (kind, queue, state, run_at)
                    SELECT 'noop', $1, 'scheduled', now() + interval '30 days' + n * interval '1 s'
                    FROM generate_series(1, \(settings.scheduled)) AS n
                    """, binds: binds(queue + "-scheduled")), logger: logger)
            }
        }
        try await vacuum()
        let size = try await client.query("SELECT pg_size_pretty(pg_total_relation_size('jobs')), pg_size_pretty(pg_indexes_size('jobs'))",
                                          logger: logger).decode((String, String).self)
        for try await (total, indexes) in size {
            report(String(format: "history: %d finished + %d scheduled rows written in %.0f s; jobs is %@ (indexes %@)",
                          settings.history, settings.scheduled, (ContinuousClock.now - started).timeInterval, total, indexes))
        }
    }

    /// Both tables vacuumed and analyzed, and a checkpoint, before every measured step.
    func vacuum() async throws {
        try await client.query("VACUUM ANALYZE jobs", logger: logger)
        try await client.query(PostgresQuery(unsafeSQL: "VACUUM ANALYZE \(Self.minimalTable)"), logger: logger)
        try await client.query("CHECKPOINT", logger: logger)
    }

    /// Deletes the run's rows (queues named after `queue`) from both tables.
    func cleanUp(queue: String) async throws {
        try await store.deleteJobs(inQueuesStartingWith: queue)
        try await client.query(PostgresQuery(unsafeSQL: "DELETE FROM \(Self.minimalTable) WHERE queue LIKE $1",
                                             binds: binds(queue + "%")), logger: logger)
    }
}
