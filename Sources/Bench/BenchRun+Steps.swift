import JobQueue

/// The measured steps of a round: what each is, its label in the results and how it is measured.
extension BenchRun {
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

    func label(_ step: BenchStep) -> String {
        switch step {
        case .tuned: return "processed, \(settings.workers) workers x \(settings.concurrency), claim \(settings.claimBatch), \(settings.claimers) claimers"
        case .defaults: return "processed, \(settings.workers) workers at defaults (queue limit \(WorkerQueue.defaultLimit))"
        case .globalLimit: return "processed, \(LimitedNoopJob.kind) (global limit), \(settings.workers) x \(settings.concurrency)"
        case .jobsLimit: return "raw SQL limit, jobs table (pgbench, \(settings.pgbenchClients) clients, claim \(settings.claimBatch) + 1 completion)"
        case .minimalLimit: return "raw SQL limit, minimal table (same script)"
        }
    }

    /// The step's rate and, for the workers' steps, their CPU per job.
    func measure(_ step: BenchStep, queue: String) async throws -> (Double, Double?) {
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
}
