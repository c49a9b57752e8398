import Foundation
import JobQueue
import PostgresNIO

/// Enqueue-to-start latency at a paced rate with idle workers.
extension BenchRun {
    func pacedLatency(queue: String) async throws -> (p50: Double, p95: Double, p99: Double) {
        let latencyQueue = queue + "-lat"
        let warmUp = try await withWorkers(queue: latencyQueue, arguments: tunedArguments) {
            // Workers are idle once a first job has gone through.
            let warmUp = try await store.enqueue(NewJob(kind: "noop", queue: latencyQueue))
            try await waitUntil(timeout: .seconds(60)) { try await store.job(warmUp.id)?.state == .succeeded }
            let interval = Duration.nanoseconds(1_000_000_000 / Int64(settings.latencyRate))
            let start = ContinuousClock.now
            for index in 0..<settings.latencyJobs {
                let due = start + interval * index
                if due > .now { try await Task.sleep(until: due) }
                _ = try await store.enqueue(NewJob(kind: "noop", queue: latencyQueue))
            }
            try await waitUntil(timeout: .seconds(120)) { try await drained(latencyQueue) }
            return warmUp
        }
        let rows = try await client.query("""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY ms),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)
            FROM (SELECT extract(epoch FROM attempted_at - created_at) * 1000 AS ms
                  FROM jobs WHERE queue = \(latencyQueue) AND id <> \(warmUp.id)) AS l
            """, logger: logger)
        for try await (p50, p95, p99) in rows.decode((Double, Double, Double).self) { return (p50, p95, p99) }
        return (0, 0, 0)
    }
}
