import ArgumentParser
import Foundation
import JobQueue

/// `nightshift bench enqueue`: single enqueues through the library, timed call by call, for
/// ops/bench-api.sh's comparison with `POST /api/jobs` under wrk.
struct BenchEnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Time single library enqueues (no-op jobs) from --callers concurrent callers for --seconds.",
        discussion: "Prints jobs/s and the p50/p99 of one enqueue call. The jobs go to their own queue and are deleted afterwards.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Concurrent callers, each with its own connection.") var callers: Int = 1
    @Option(help: "How long to enqueue.") var seconds: Int = 10

    func validate() throws {
        if callers < 1 { throw ValidationError("--callers must be at least 1, got \(callers)") }
        if seconds < 1 { throw ValidationError("--seconds must be at least 1, got \(seconds)") }
    }

    func run() async throws {
        let (callers, seconds) = (self.callers, self.seconds)
        let settings = try database.settings()
        try await CommandDatabase.with(settings, maximumConnections: callers + 1) { client, logger in
            let store = JobStore(client: client, logger: logger)
            let queue = "bench-enqueue-\(UUID().uuidString.prefix(8).lowercased())"
            let deadline = ContinuousClock.now.advanced(by: .seconds(seconds))
            let started = ContinuousClock.now
            let durations = try await withThrowingTaskGroup(of: [Double].self) { group in
                for _ in 0..<callers {
                    group.addTask {
                        var mine: [Double] = []
                        while ContinuousClock.now < deadline {
                            let start = ContinuousClock.now
                            _ = try await store.enqueue(NewJob(kind: "noop", queue: queue))
                            mine.append((ContinuousClock.now - start).timeInterval * 1000)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }.sorted()
            }
            let elapsed = (ContinuousClock.now - started).timeInterval
            try await store.deleteJobs(inQueuesStartingWith: queue)
            func percentile(_ p: Double) -> Double { durations.isEmpty ? 0 : durations[min(durations.count - 1, Int(Double(durations.count) * p))] }
            print(String(format: "library enqueue, %d callers: %8.0f jobs/s  p50 %.2f ms  p99 %.2f ms  (%d jobs in %.1f s)",
                         callers, Double(durations.count) / elapsed, percentile(0.5), percentile(0.99), durations.count, elapsed))
        }
    }
}
