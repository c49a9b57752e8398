import Foundation
import JobQueue
import PostgresNIO

/// A drain by worker processes, timed by the database's own clock.
extension BenchRun {
    /// Starts the workers on a full queue and measures from the first claim to the last
    /// completion, as the database recorded them; and the CPU the worker processes used in all,
    /// start-up included, per job (nil where /proc does not say).
    func drain(queue: String, kind: String, workerArguments: [String]) async throws -> (Double, Double?) {
        try await fill(queue, kind: kind)
        try await vacuum()
        let cpuSeconds = try await withWorkers(queue: queue, arguments: workerArguments) { processes in
            try await waitUntil(timeout: .seconds(600)) { try await drained(queue) }
            let each = processes.map { ProcessCPUTime.seconds(of: $0.processIdentifier) }
            return each.contains(nil) ? nil : each.compactMap { $0 }.reduce(0, +)
        }
        let cpuPerJob = cpuSeconds.map { $0 / Double(settings.jobs) * 1_000_000 }
        return (try await succeededPerSecond(queue), cpuPerJob)
    }

    /// Jobs succeeded per second from the first claim to the last completion, as the database
    /// recorded them: the same clock for the workers and for pgbench.
    func succeededPerSecond(_ queue: String, table: String = "jobs") async throws -> Double {
        var binds = PostgresBindings()
        binds.append(queue)
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT count(*)::int, extract(epoch FROM max(finished_at) - min(attempted_at))::float8
            FROM \(table) WHERE queue = $1 AND state = 'succeeded'
            """, binds: binds), logger: logger)
        for try await (jobs, seconds) in rows.decode((Int, Double).self) where seconds > 0 { return Double(jobs) / seconds }
        return 0
    }

    /// Cheap while workers drain the queue, so it does not slow what it measures: the first
    /// available row comes off the claim index (an `EXISTS` there was planned as a sequential
    /// scan over every claimed row, 20-30 ms a poll), running rows off the heartbeat index.
    func drained(_ queue: String) async throws -> Bool {
        try await count("""
            SELECT ((SELECT id FROM jobs WHERE state = 'available' AND queue = \(queue)
                     ORDER BY priority, run_at, id LIMIT 1) IS NOT NULL
                 OR EXISTS (SELECT 1 FROM jobs WHERE heartbeat_at IS NOT NULL AND state = 'running'
                            AND queue = \(queue)))::int
            """) == 0
    }
}
