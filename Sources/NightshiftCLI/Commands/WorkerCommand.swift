import ArgumentParser
import Foundation
import JobQueue
import NightshiftCore

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim and run jobs until SIGTERM or SIGINT; run as many as you like, on any machines.",
        discussion: """
            On SIGTERM/SIGINT the worker stops claiming, lets running jobs finish within \
            --shutdown-grace, hands the rest back as available (not counted as a failure) and \
            exits 0. Each worker also runs the maintenance services (promoter, rescuer, pruner) \
            unless --no-maintenance is given; they are safe to run in every worker.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Queues to claim from, each with how many of its jobs run at once: default=100,backups=2. A queue without =N gets --concurrency.")
    var queues: String = NewJob.defaultQueue

    @Option(help: "Jobs of each queue run at once, for queues listed without =N.")
    var concurrency: Int = WorkerQueue.defaultLimit

    @Option(name: .customLong("claim-batch"), help: "Most jobs one claim query takes.")
    var claimBatch: Int = 50

    @Option(help: "Claims in flight at once, each on its own connection; the second only while there is a backlog.")
    var claimers: Int = 2

    @Option(name: .customLong("poll-interval"), help: "How often an idle worker looks without a notification.")
    var pollInterval: DurationArgument = .init(.seconds(1))

    @Option(name: .customLong("heartbeat-interval"), help: "How often running jobs' heartbeat is refreshed.")
    var heartbeatInterval: DurationArgument = .init(.seconds(5))

    @Option(name: .customLong("job-timeout"), help: "Time limit of one attempt for kinds that set none.")
    var jobTimeout: DurationArgument = .init(.seconds(3600))

    @Option(name: .customLong("shutdown-grace"), help: "On shutdown, how long running jobs may finish.")
    var shutdownGrace: DurationArgument = .init(.seconds(10))

    @Option(name: .customLong("rescue-after"), help: "Rescue running jobs whose heartbeat is older than this.")
    var rescueAfter: DurationArgument = .init(.seconds(30))

    @Option(name: .customLong("retry-base"), help: "First retry delay; it doubles each attempt up to --retry-cap.")
    var retryBase: DurationArgument = .init(.seconds(1))

    @Option(name: .customLong("retry-cap"), help: "Longest retry delay.")
    var retryCap: DurationArgument = .init(.seconds(3600))

    @Option(name: .customLong("retention"), help: "Keep succeeded and cancelled jobs this long.")
    var retention: DurationArgument = .init(.seconds(30 * 86_400))

    @Option(name: .customLong("discarded-retention"), help: "Keep discarded jobs this long.")
    var discardedRetention: DurationArgument = .init(.seconds(90 * 86_400))

    @Flag(name: .customLong("no-maintenance"), help: "Do not run the promoter, rescuer and pruner in this process.")
    var noMaintenance = false

    @Flag(name: .customLong("separate-completions"), help: .hidden)
    var separateCompletions = false

    /// The flag that sets each field ``WorkerConfiguration/validate()`` can name.
    static let flags = ["queues": "--queues", "claimBatchSize": "--claim-batch", "claimers": "--claimers",
                        "pollInterval": "--poll-interval"]

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1, got \(concurrency)") }
        do { try workerConfiguration().validate() } catch {
            throw ValidationError("\(Self.flags[error.field ?? ""] ?? "worker"): \(error.message)")
        }
        guard retryBase.duration > .zero, retryCap.duration >= retryBase.duration else {
            throw ValidationError("--retry-base must be positive and no longer than --retry-cap")
        }
    }

    func workerConfiguration() throws(InvalidInput) -> WorkerConfiguration {
        var configuration = WorkerConfiguration()
        configuration.queues = try WorkerQueue.parseList(queues, defaultLimit: concurrency)
        configuration.claimBatchSize = claimBatch
        configuration.claimers = claimers
        configuration.pollInterval = pollInterval.duration
        configuration.heartbeatInterval = heartbeatInterval.duration
        configuration.defaultJobTimeout = jobTimeout.duration
        configuration.shutdownGracePeriod = shutdownGrace.duration
        configuration.retryPolicy = RetryPolicy(base: retryBase.duration, cap: retryCap.duration, jitter: 0.1)
        configuration.completeWithClaim = !separateCompletions
        return configuration
    }

    func maintenance() -> ProcessPlan.Maintenance {
        var maintenance = ProcessPlan.Maintenance()
        maintenance.rescuer.staleAfter = rescueAfter.duration
        maintenance.rescuer.interval = min(.seconds(10), rescueAfter.duration / 3)
        maintenance.pruner.retention = retention.duration
        maintenance.pruner.discardedRetention = discardedRetention.duration
        maintenance.promoter.interval = min(.seconds(1), pollInterval.duration)
        return maintenance
    }

    func run() async throws {
        let configuration = try workerConfiguration()
        let plan = ProcessPlan(
            worker: configuration, maintenance: noMaintenance ? nil : maintenance(),
            maximumConnections: 4 + min(configuration.capacity, 16))
        try await ProcessAssembly.run(plan, settings: try database.settings())
    }
}
