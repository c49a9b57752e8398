import Foundation

/// Worker processes (the real `nightshift worker`) started for a step and stopped however it ends.
extension BenchRun {
    /// Runs `body` while worker processes serve `queue`, and stops them however it ends.
    func withWorkers<T: Sendable>(queue: String, arguments: [String], _ body: () async throws -> T) async throws -> T {
        try await withWorkers(queue: queue, arguments: arguments) { _ in try await body() }
    }

    /// The same, with the worker processes at hand (to read their CPU time before they stop).
    func withWorkers<T: Sendable>(queue: String, arguments: [String], _ body: ([Process]) async throws -> T) async throws -> T {
        let processes = try startWorkers(queue: queue, arguments: arguments)
        do {
            let value = try await body(processes)
            await stop(processes)
            return value
        } catch {
            await stop(processes)
            throw error
        }
    }

    func startWorkers(queue: String, arguments: [String]) throws -> [Process] {
        try (0..<settings.workers).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: settings.executable).resolvingSymlinksInPath()
            process.arguments = ["worker", "--queues", queue, "--no-maintenance"] + arguments
            var environment = ProcessInfo.processInfo.environment
            // The URL (and its password) goes by environment, not argv, which `ps` shows.
            environment["DATABASE_URL"] = url.connectionString
            environment["LOG_LEVEL"] = "warning"
            process.environment = environment
            try process.run()
            return process
        }
    }

    /// SIGTERM (workers hand their jobs back and exit), SIGKILL for any still there after 15 s.
    func stop(_ processes: [Process]) async {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes where await !exited(process, within: .seconds(15)) {
            kill(process.processIdentifier, SIGKILL)
            _ = await exited(process, within: .seconds(5))
        }
    }

    /// Waits for a child to exit, up to `timeout`. Not `Process.waitUntilExit()`: it spins a run
    /// loop on the calling thread, here one of the event loops, and twice it never returned.
    func exited(_ process: Process, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
