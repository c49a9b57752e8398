import Database
import Foundation
import JobQueue
import TestSupport

/// The run's worker processes: real `nightshift-test-worker worker` children, none running
/// maintenance (the run's own rescuer and promoter touch only its queues, so other suites
/// sharing the database are left alone).
actor WorkerPool {
    let queues: [String]
    private var running: [ChildProcess] = []
    private var gone: [ChildProcess] = []

    init(queues: [String]) { self.queues = queues }

    func start() throws {
        running.append(try ChildProcess([
            "worker", "--queues", queues.map { "\($0)=6" }.joined(separator: ","), "--no-maintenance",
            "--heartbeat-interval", "250ms", "--poll-interval", "200ms", "--retry-base", "50ms", "--retry-cap", "200ms",
            "--shutdown-grace", "2s",
        ], executable: ChildProcess.testWorker))
    }

    /// SIGKILLs the worker at `index` (modulo how many run), waits for it to die, starts
    /// another; returns the pid killed.
    func killOne(_ index: Int) async throws -> Int32 {
        let victim = running.remove(at: index % running.count)
        victim.kill(SIGKILL)
        _ = try await victim.waitForExit()
        gone.append(victim)
        try start()
        return victim.pid
    }

    /// SIGTERM to every worker, then their logs (the killed ones' too).
    func stopAll() async -> [String] {
        for worker in running { worker.kill(SIGTERM) }
        for worker in running { _ = try? await worker.waitForExit(timeout: .seconds(30)) }
        gone += running
        running = []
        return gone.map(\.log)
    }
}

/// What the background tasks saw.
actor ProcessLog {
    private(set) var killed: [String] = []
    private(set) var errors: [String] = []
    func killed(_ pid: Int32) { killed.append("/\(pid)") }
    /// Each distinct failure once, with how often it came.
    private var repeats: [String: Int] = [:]
    func failed(_ text: String) {
        let short = String(text.prefix(240))
        if repeats[short] == nil { errors.append(short) }
        repeats[short, default: 0] += 1
    }
    var errorsCounted: [String] { errors.map { "\($0) (\(repeats[$0] ?? 1)×)" } }
}

extension ModelRun {
    /// The run's promoter and rescuer, every 100 ms until cancelled. A pass that fails is a
    /// finding (one job must never stop the rescuer), recorded and retried.
    static func maintain(store: JobStore, queues: [String], rescueAfter: Duration, log: ProcessLog) async {
        var configuration = Rescuer.Configuration()
        configuration.staleAfter = rescueAfter
        configuration.queues = queues
        let rescuer = Rescuer(configuration: configuration, store: store, logger: TestDatabase.logger)
        while !Task.isCancelled {
            do {
                _ = try await store.promoteDueJobs(queues: queues)
                _ = try await rescuer.runOnce()
            } catch where !Task.isCancelled {
                await log.failed("maintenance pass failed: \(DatabaseErrorMessage.describe(error))")
            } catch {}
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// `times` SIGKILLs of a random worker, 0.3 to 1.5 s apart, until cancelled.
    static func kill(workers: WorkerPool, times: Int, seed: UInt64, log: ProcessLog) async {
        var rng = SeededGenerator(seed: seed ^ 0xC0FFEE)
        for _ in 0..<times {
            do {
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1_500, using: &rng)))
                await log.killed(try await workers.killOne(Int.random(in: 0..<100, using: &rng)))
            } catch {
                return
            }
        }
    }
}
