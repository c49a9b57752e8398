import Database
import Foundation
import JobQueue
import Logging
import PostgresNIO

/// One benchmark run; each step prints its figure as it completes.
///
/// The minimal queue table (``minimalTableSQL``) and `jobs` are measured in the same state:
/// the table is made once per run from `jobs`'s columns, gets the same `--history`, has its
/// round's rows deleted like `jobs`, and both are `VACUUM ANALYZE`d before every measured step.
public struct BenchRun: Sendable {
    let settings: BenchSettings
    let url: DatabaseURL
    let client: PostgresClient
    let logger: Logger
    var store: JobStore { JobStore(client: client, logger: logger) }

    public init(settings: BenchSettings, url: DatabaseURL, client: PostgresClient, logger: Logger) {
        self.settings = settings
        self.url = url
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        let queue = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        report("nightshift bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(try await serverVersion()), queue \(queue)")
        defer { report("(bench jobs are deleted at the end)") }
        do {
            try await createMinimalTable()
            if settings.history > 0 || settings.scheduled > 0 { try await writeHistory(queue: queue) }
            if settings.pruneHistory {
                try await pruneHistoryWhileClaiming(queue: queue)
                // The pruner emptied `jobs` of the history: the minimal table loses it too.
                try await cleanUp(queue: queue + "-history")
            }
            if settings.bloatJobs > 0 { try await tableAfterJobs(queue: queue + "-bloat") }
            let single = try await enqueueSingly(queue: queue)
            report(String(format: "enqueue, single (%d callers):  %8.0f jobs/s", settings.enqueuers, single))
            let batch = try await enqueueInBatches(queue: queue)
            report(String(format: "enqueue, batch of %-5d:        %8.0f jobs/s", settings.batchSize, batch))
            try await cleanUp(queue: queue)
            let latency = try await pacedLatency(queue: queue)
            report(String(format: "enqueue→start latency:        p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  (%d jobs at %d/s)",
                         latency.p50, latency.p95, latency.p99, settings.latencyJobs, settings.latencyRate))
            // Every run of a round drains an equal table (same rows, vacuumed); the runs of a
            // round go back to back, so their ratios are the least exposed to this machine's
            // speed changing from minute to minute.
            var runs: [BenchStep: [Double]] = [:]
            var workerCPU: [BenchStep: [Double]] = [:]
            let steps = BenchStep.allCases.filter { settings.pgbenchClients > 0 || !$0.isSQL }
            for round in 1...settings.rounds {
                for step in steps {
                    let stepQueue = "\(queue)-r\(round)-\(step.rawValue)"
                    let (rate, cpu) = try await measure(step, queue: stepQueue)
                    runs[step, default: []].append(rate)
                    if let cpu { workerCPU[step, default: []].append(cpu) }
                    report(String(format: "%@, round %d: %8.0f jobs/s", label(step), round, rate)
                           + (cpu.map { String(format: "  (workers' CPU %.1f µs a job)", $0) } ?? ""))
                    try await cleanUp(queue: stepQueue)
                }
            }
            for step in steps {
                report(String(format: "%@, median of %d: %8.0f jobs/s", label(step), settings.rounds, median(runs[step] ?? []))
                       + (workerCPU[step].map { String(format: "  (workers' CPU %.1f µs a job)", median($0)) } ?? ""))
            }
            func paired(_ numerator: BenchStep, _ denominator: BenchStep, _ name: String) {
                guard let top = runs[numerator], let bottom = runs[denominator], !top.isEmpty, top.count == bottom.count else { return }
                let ratios = zip(top, bottom).map { $0 / $1 }
                report(String(format: "%@: %.2f  (paired rounds' median; ", name, median(ratios))
                       + ratios.map { String(format: "%.2f", $0) }.joined(separator: " ") + ")")
            }
            paired(.tuned, .minimalLimit, "tuned / minimal-table limit     ")
            paired(.defaults, .minimalLimit, "defaults / minimal-table limit  ")
            paired(.tuned, .jobsLimit, "tuned / jobs-table limit        ")
            paired(.jobsLimit, .minimalLimit, "jobs-table / minimal-table limit")
            paired(.globalLimit, .tuned, "global-limit kind / tuned       ")
        } catch {
            try? await cleanUp(queue: queue)
            try? await dropMinimalTable()
            throw error
        }
        try await cleanUp(queue: queue)
        try await dropMinimalTable()
    }

    func binds(_ text: String) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(text)
        return binds
    }

    /// One line of results, written at once (print buffers when the output is a file).
    func report(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    func serverVersion() async throws -> String {
        for try await version in try await client.query("SHOW server_version", logger: logger).decode(String.self) {
            let fsync = try await client.query("SHOW fsync", logger: logger).decode(String.self)
            var fsyncValue = "?"
            for try await value in fsync { fsyncValue = value }
            return "PostgreSQL \(version) (fsync \(fsyncValue))"
        }
        return "PostgreSQL"
    }

    func count(_ query: PostgresQuery) async throws -> Int {
        for try await value in try await client.query(query, logger: logger).decode(Int.self) { return value }
        return 0
    }

    func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw BenchFailure("benchmark step timed out after \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
