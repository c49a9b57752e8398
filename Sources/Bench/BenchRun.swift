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

    /// What a round measures, each on a fresh, vacuumed queue of `--jobs` no-op jobs.
    enum BenchStep: String, CaseIterable {
        /// `--workers` worker processes at `--concurrency` and `--claim-batch`.
        case tuned
        /// The same workers as `nightshift worker --queues Q` starts them, every default kept.
        case defaults
        /// The tuned workers on `noop-limited`, a kind with a global limit (never reached).
        case globalLimit = "global"
        /// pgbench running the worker's claim and completion SQL on the `jobs` table.
        case jobsLimit = "sql"
        /// The same script on a table with the same columns and only a primary key and the
        /// claim index: what a minimal queue table allows here.
        case minimalLimit = "min"
        var isSQL: Bool { self == .jobsLimit || self == .minimalLimit }
    }

    private func label(_ step: BenchStep) -> String {
        switch step {
        case .tuned: return "processed, \(settings.workers) workers x \(settings.concurrency), claim \(settings.claimBatch), \(settings.claimers) claimers"
        case .defaults: return "processed, \(settings.workers) workers at defaults (queue limit \(WorkerQueue.defaultLimit))"
        case .globalLimit: return "processed, \(LimitedNoopJob.kind) (global limit), \(settings.workers) x \(settings.concurrency)"
        case .jobsLimit: return "raw SQL limit, jobs table (pgbench, \(settings.pgbenchClients) clients, claim \(settings.claimBatch) + 1 completion)"
        case .minimalLimit: return "raw SQL limit, minimal table (same script)"
        }
    }

    /// The step's rate and, for the workers' steps, their CPU per job.
    private func measure(_ step: BenchStep, queue: String) async throws -> (Double, Double?) {
        switch step {
        case .tuned:
            return try await drain(queue: queue, kind: NoopJob.kind, workerArguments: tunedArguments)
        case .defaults:
            return try await drain(queue: queue, kind: NoopJob.kind, workerArguments: [])
        case .globalLimit:
            return try await drain(queue: queue, kind: LimitedNoopJob.kind, workerArguments: tunedArguments)
        case .jobsLimit:
            return (try await rawSQLLimit(queue: queue, table: "jobs"), nil)
        case .minimalLimit:
            return (try await rawSQLLimit(queue: queue, table: Self.minimalTable), nil)
        }
    }

    var tunedArguments: [String] {
        ["--concurrency", "\(settings.concurrency)", "--claim-batch", "\(settings.claimBatch)", "--claimers", "\(settings.claimers)"]
    }

    func fill(_ queue: String, kind: String = NoopJob.kind) async throws {
        let chunk = (0..<5_000).map { _ in NewJob(kind: kind, queue: queue) }
        var done = 0
        while done < settings.jobs {
            let count = min(chunk.count, settings.jobs - done)
            try await store.enqueueBatch(count == chunk.count ? chunk : Array(chunk.prefix(count)))
            done += count
        }
    }

    /// One line of results, written at once (print buffers when the output is a file).
    /// `--history` finished no-op jobs (finished a day ago, as a table with pruning off keeps
    /// them) and `--scheduled` jobs a month ahead, in queues of their own, a million rows per
    /// statement; then VACUUM ANALYZE, as autovacuum would have.
    private func writeHistory(queue: String) async throws {
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

    private func binds(_ text: String) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(text)
        return binds
    }

    func report(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// Both tables vacuumed and analyzed, and a checkpoint, before every measured step.
    func vacuum() async throws {
        try await client.query("VACUUM ANALYZE jobs", logger: logger)
        try await client.query(PostgresQuery(unsafeSQL: "VACUUM ANALYZE \(Self.minimalTable)"), logger: logger)
        try await client.query("CHECKPOINT", logger: logger)
    }

    private func serverVersion() async throws -> String {
        for try await version in try await client.query("SHOW server_version", logger: logger).decode(String.self) {
            let fsync = try await client.query("SHOW fsync", logger: logger).decode(String.self)
            var fsyncValue = "?"
            for try await value in fsync { fsyncValue = value }
            return "PostgreSQL \(version) (fsync \(fsyncValue))"
        }
        return "PostgreSQL"
    }

    private func enqueueSingly(queue: String) async throws -> Double {
        let perCaller = settings.singleJobs / settings.enqueuers
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<settings.enqueuers {
                group.addTask {
                    for _ in 0..<perCaller { _ = try await store.enqueue(NewJob(kind: "noop", queue: queue)) }
                }
            }
            try await group.waitForAll()
        }
        return Double(perCaller * settings.enqueuers) / (ContinuousClock.now - start).timeInterval
    }

    private func enqueueInBatches(queue: String) async throws -> Double {
        let batch = (0..<settings.batchSize).map { _ in NewJob(kind: "noop", queue: queue) }
        let start = ContinuousClock.now
        var done = 0
        while done < settings.jobs {
            let count = min(settings.batchSize, settings.jobs - done)
            try await store.enqueueBatch(count == batch.count ? batch : Array(batch.prefix(count)))
            done += count
        }
        return Double(done) / (ContinuousClock.now - start).timeInterval
    }

    /// Starts the workers on a full queue and measures from the first claim to the last
    /// completion, as the database recorded them; and the CPU the worker processes used in all,
    /// start-up included, per job (nil where /proc does not say).
    private func drain(queue: String, kind: String, workerArguments: [String]) async throws -> (Double, Double?) {
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
    private func succeededPerSecond(_ queue: String, table: String = "jobs") async throws -> Double {
        var binds = PostgresBindings()
        binds.append(queue)
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT count(*)::int, extract(epoch FROM max(finished_at) - min(attempted_at))::float8
            FROM \(table) WHERE queue = $1 AND state = 'succeeded'
            """, binds: binds), logger: logger)
        for try await (jobs, seconds) in rows.decode((Int, Double).self) where seconds > 0 { return Double(jobs) / seconds }
        return 0
    }

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

    /// pgbench, 4 clients, as prepared statements like the worker's: claim a batch (the
    /// worker's claim for one queue, rows marked running) and mark the batch succeeded, fenced
    /// by attempt, as the worker's completions are. What the database alone can do here.
    private func rawSQLLimit(queue: String, table: String) async throws -> Double {
        if table == "jobs" {
            try await fill(queue)
        } else {
            try await client.query(PostgresQuery(unsafeSQL: """
                INSERT INTO \(table) (kind, queue) SELECT 'noop', $1 FROM generate_series(1, \(settings.jobs))
                """, binds: binds(queue)), logger: logger)
        }
        try await vacuum()
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("nightshift-bench-\(queue).sql")
        try Self.pgbenchScript(claimBatch: settings.claimBatch, table: table).write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let transactions = settings.jobs / settings.claimBatch / settings.pgbenchClients
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pgbench", "-n", "-M", "prepared", "-f", script.path, "-c", "\(settings.pgbenchClients)",
                             "-j", "\(min(settings.pgbenchClients, ProcessInfo.processInfo.activeProcessorCount))",
                             "-t", "\(transactions)", "-D", "queue=\(queue)"]
        // Where to connect goes by PG* variables, so the password is on no command line.
        process.environment = ProcessInfo.processInfo.environment
            .merging(LibPQParameters(url, applicationName: "nightshift-bench").environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        guard await exited(process, within: .seconds(600)) else {
            await stop([process])
            throw BenchFailure("pgbench did not finish within 10 minutes")
        }
        guard process.terminationStatus == 0 else { throw BenchFailure("pgbench failed (is it installed? apt-get install postgresql-client)") }
        return try await succeededPerSecond(queue, table: table)
    }

    /// One pgbench transaction: claim `claimBatch` jobs, then complete them in a second statement.
    /// The worker's own SQL fragments (``JobSQL``), with pgbench's variables for parameters.
    static func pgbenchScript(claimBatch: Int, table: String = "jobs") -> String {
        """
        WITH picked AS (
            \(JobSQL.nextAvailable(queue: ":queue", limit: String(claimBatch), table: table))
        ), claimed AS (
            \(JobSQL.markRunning(from: "picked", worker: "'pgbench/' || :client_id::text", table: table))
        )
        SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(attempt), '{}') AS attempts,
               count(kind) + count(queue) + count(args) + count(max_attempts) AS fields
        FROM claimed
        \\gset
        \(JobSQL.completeAttempts(ids: ":ids", attempts: ":attempts", returning: false, table: table));

        """
    }

    public static let minimalTable = "nightshift_bench_minimal"

    /// The minimal table's DDL, written once (`MinimalQueueTable.sql`, beside this file).
    public static var minimalTableSQL: String {
        String(decoding: PackageResources.MinimalQueueTable_sql, as: UTF8.self).replacingOccurrences(of: "{table}", with: minimalTable)
    }

    private func createMinimalTable() async throws {
        try await dropMinimalTable()
        for statement in SQLStatementSplitter.split(Self.minimalTableSQL) {
            try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }

    private func dropMinimalTable() async throws {
        try await client.query(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(Self.minimalTable)"), logger: logger)
    }

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

    private func startWorkers(queue: String, arguments: [String]) throws -> [Process] {
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
    private func stop(_ processes: [Process]) async {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes where await !exited(process, within: .seconds(15)) {
            kill(process.processIdentifier, SIGKILL)
            _ = await exited(process, within: .seconds(5))
        }
    }

    /// Waits for a child to exit, up to `timeout`. Not `Process.waitUntilExit()`: it spins a run
    /// loop on the calling thread, here one of the event loops, and twice it never returned.
    private func exited(_ process: Process, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
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

    /// Deletes the run's rows (queues named after `queue`) from both tables.
    func cleanUp(queue: String) async throws {
        try await client.query("DELETE FROM jobs WHERE queue LIKE \(queue + "%")", logger: logger)
        try await client.query(PostgresQuery(unsafeSQL: "DELETE FROM \(Self.minimalTable) WHERE queue LIKE $1",
                                             binds: binds(queue + "%")), logger: logger)
    }
}
