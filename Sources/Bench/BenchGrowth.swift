import Foundation
import JobQueue
import PostgresNIO
import Synchronization

/// The growth steps of `nightshift bench` (issue 12): the pruner deleting a long history while
/// jobs are claimed, and what the table looks like after many jobs went through it.
extension BenchRun {
    /// `--prune-history`: the pruner, as `nightshift worker` runs it (batches of its default
    /// size), deletes the `--history` rows while paced latency runs repeat back to back; reports
    /// the pruner's rate and each run's enqueue→start latency, so a stall would show as a p99.
    func pruneHistoryWhileClaiming(queue: String) async throws {
        var configuration = Pruner.Configuration()
        configuration.retention = .seconds(3_600)
        configuration.discardedRetention = .seconds(3_600)
        let pruner = Pruner(configuration: configuration, store: store, logger: logger)
        let batchSize = configuration.batchSize
        let finished = PruneDone()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let result = try await pruner.runOnce()
                finished.done.withLock { $0 = true }
                report(String(format: "pruner: %d rows in %.1f s (%.0f rows/s, batches of %d)", result.deleted,
                              (ContinuousClock.now - started).timeInterval,
                              Double(result.deleted) / (ContinuousClock.now - started).timeInterval, batchSize))
            }
            var run = 0
            var worst = 0.0
            while finished.done.withLock({ !$0 }) {
                run += 1
                let runQueue = "\(queue)-prune\(run)"
                let latency = try await pacedLatency(queue: runQueue)
                try await cleanUp(queue: runQueue)
                worst = max(worst, latency.p99)
                report(String(format: "while pruning, run %d: enqueue→start p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  (%d jobs at %d/s)",
                              run, latency.p50, latency.p95, latency.p99, settings.latencyJobs, settings.latencyRate))
            }
            try await group.waitForAll()
            report(String(format: "while pruning: %d latency runs, the worst p99 %.1f ms", run, worst))
        }
    }

    /// `--bloat-jobs N`: N jobs enqueued in batches and run by the tuned workers while
    /// autovacuum does what the table's settings let it; then the table's and each index's
    /// size, and how much of the table is dead or free space (pgstattuple, where it can be
    /// loaded), before and after the jobs are deleted and the table vacuumed.
    func tableAfterJobs(queue: String) async throws {
        let before = try await relationSizes()
        let started = ContinuousClock.now
        var done = 0
        while done < settings.bloatJobs {
            let count = min(settings.jobs, settings.bloatJobs - done)
            let chunk = (0..<min(count, 5_000)).map { _ in NewJob(kind: NoopJob.kind, queue: queue) }
            var written = 0
            while written < count {
                let part = min(chunk.count, count - written)
                try await store.enqueueBatch(part == chunk.count ? chunk : Array(chunk.prefix(part)))
                written += part
            }
            try await withWorkers(queue: queue, arguments: tunedArguments) {
                try await waitUntil(timeout: .seconds(1_800)) { try await drained(queue) }
            }
            done += count
        }
        report(String(format: "bloat: %d jobs run in %.0f s (enqueued and drained %d at a time)", done,
                      (ContinuousClock.now - started).timeInterval, min(settings.jobs, settings.bloatJobs)))
        report("bloat: before        " + before)
        report("bloat: after the jobs " + (try await relationSizes()))
        try await reportDeadSpace("after the jobs")
        try await client.query("DELETE FROM jobs WHERE queue = \(queue)", logger: logger)
        try await client.query("VACUUM jobs", logger: logger)
        report("bloat: deleted+VACUUM " + (try await relationSizes()))
    }

    /// The table's size, its indexes' total and each index's, and autovacuum's counters.
    private func relationSizes() async throws -> String {
        var line = ""
        let table = try await client.query("""
            SELECT pg_relation_size('jobs')::float8 / 1048576, pg_indexes_size('jobs')::float8 / 1048576,
                   n_live_tup, n_dead_tup, autovacuum_count
            FROM pg_stat_user_tables WHERE relname = 'jobs'
            """, logger: logger).decode((Double, Double, Int64, Int64, Int64).self)
        for try await (heap, indexes, live, dead, vacuums) in table {
            line = String(format: "heap %.1f MB, indexes %.1f MB, %lld live / %lld dead rows, %lld autovacuums;", heap, indexes, live, dead, vacuums)
        }
        let each = try await client.query("""
            SELECT c.relname, pg_relation_size(c.oid)::float8 / 1048576
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'jobs'::regclass ORDER BY c.relname
            """, logger: logger).decode((String, Double).self)
        for try await (name, megabytes) in each { line += String(format: " %@ %.1f", name, megabytes) }
        return line
    }

    private func reportDeadSpace(_ when: String) async throws {
        do {
            try await client.query("CREATE EXTENSION IF NOT EXISTS pgstattuple", logger: logger)
        } catch {
            report("bloat: pgstattuple cannot be loaded here (PostgreSQL's contrib); dead space not measured")
            return
        }
        let rows = try await client.query("""
            SELECT tuple_percent, dead_tuple_percent, free_percent FROM pgstattuple('jobs')
            """, logger: logger).decode((Double, Double, Double).self)
        for try await (live, dead, free) in rows {
            report(String(format: "bloat: %@: heap %.1f %% live rows, %.1f %% dead rows, %.1f %% free space", when, live, dead, free))
        }
        let claim = try await client.query("""
            SELECT avg_leaf_density, leaf_fragmentation FROM pgstatindex('jobs_claim_idx')
            """, logger: logger).decode((Double, Double).self)
        for try await (density, fragmentation) in claim {
            report(String(format: "bloat: %@: claim index leaf density %.1f %%, fragmentation %.1f %%", when, density, fragmentation))
        }
    }
}

/// Whether the pruner has finished, shared by the bench's two tasks.
private final class PruneDone: Sendable {
    let done = Mutex(false)
}
