import ArgumentParser
import Bench
import Foundation
import JobQueue
import Logging
import PostgresNIO

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure enqueue rate, processing rate and enqueue→start latency against a database.",
        discussion: """
            Uses its own queue (bench-…) and deletes its jobs afterwards. Steps: single enqueues \
            from --enqueuers concurrent callers; batch enqueue of --jobs in batches of --batch-size; \
            --workers real worker processes × --concurrency draining them; a paced run of \
            --latency-jobs single enqueues at --latency-rate per second to idle workers; and \
            pgbench running the same claim (batch of --claim-batch) and completion SQL, for the \
            machine's raw-SQL limit. Build with -c release for numbers worth recording. \
            `nightshift bench upload FILE KEY` times an upload to the bucket instead; `nightshift bench enqueue` times library enqueues alone.
            """,
        subcommands: [BenchUploadCommand.self, BenchEnqueueCommand.self, BenchEncryptCommand.self]
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Jobs for the batch-enqueue and processing runs.") var jobs: Int = 100_000
    @Option(name: .customLong("batch-size"), help: "Jobs per batch enqueue.") var batchSize: Int = 1_000
    @Option(name: .customLong("single-jobs"), help: "Jobs enqueued one at a time.") var singleJobs: Int = 5_000
    @Option(help: "Concurrent callers for single enqueues.") var enqueuers: Int = 8
    @Option(help: "Worker processes.") var workers: Int = 2
    @Option(help: "Concurrency of each worker.") var concurrency: Int = 200
    @Option(name: .customLong("claim-batch"), help: "Most jobs per claim query.") var claimBatch: Int = 50
    @Option(help: "Claims in flight at once in each worker (its --claimers).") var claimers: Int = 2
    @Option(name: .customLong("latency-jobs"), help: "Jobs in the paced latency run.") var latencyJobs: Int = 2_000
    @Option(name: .customLong("latency-rate"), help: "Jobs per second in the paced latency run.") var latencyRate: Int = 200
    @Option(name: .customLong("pgbench-clients"), help: "pgbench clients for the raw-SQL limit (0 skips it).") var pgbenchClients: Int = 4
    @Option(help: "Processing and raw-SQL runs, alternated; the median of each, and of each pair's ratio, is reported.") var rounds: Int = 5
    @Option(help: "Finished jobs written into the table before anything runs (a history; the bench's workers do not prune).") var history: Int = 0
    @Option(help: "Jobs scheduled a month ahead, written into the table before anything runs.") var scheduled: Int = 0
    @Flag(name: .customLong("prune-history"),
          help: "Delete the --history with the pruner while paced latency runs repeat; report its rate and the latency meanwhile.")
    var pruneHistory = false
    @Option(name: .customLong("bloat-jobs"),
            help: "Run this many jobs through the tuned workers (autovacuum as configured), then report the table's and indexes' size and dead space.")
    var bloatJobs: Int = 0

    func validate() throws {
        for (name, value) in [("--jobs", jobs), ("--batch-size", batchSize), ("--workers", workers),
                              ("--concurrency", concurrency), ("--claim-batch", claimBatch), ("--enqueuers", enqueuers),
                              ("--latency-rate", latencyRate), ("--rounds", rounds)] where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        if pruneHistory && history == 0 { throw ValidationError("--prune-history needs a --history to prune") }
        if bloatJobs < 0 { throw ValidationError("--bloat-jobs must be 0 or more, got \(bloatJobs)") }
    }

    /// The flags as the Bench module takes them; the workers it starts are this binary's.
    var benchSettings: BenchSettings {
        var bench = BenchSettings(executable: CommandLine.arguments[0])
        bench.jobs = jobs
        bench.batchSize = batchSize
        bench.singleJobs = singleJobs
        bench.enqueuers = enqueuers
        bench.workers = workers
        bench.concurrency = concurrency
        bench.claimBatch = claimBatch
        bench.claimers = claimers
        bench.latencyJobs = latencyJobs
        bench.latencyRate = latencyRate
        bench.pgbenchClients = pgbenchClients
        bench.rounds = rounds
        bench.history = history
        bench.scheduled = scheduled
        bench.pruneHistory = pruneHistory
        bench.bloatJobs = bloatJobs
        return bench
    }

    func run() async throws {
        let bench = benchSettings
        let settings = try database.settings()
        let url = try settings.requireDatabase()
        try await CommandDatabase.with(settings, maximumConnections: max(enqueuers, 4) + 2) { client, logger in
            do {
                try await BenchRun(settings: bench, url: url, client: client, logger: logger).run()
            } catch let failure as BenchFailure {
                throw CommandFailure(failure.description)
            }
        }
    }
}
