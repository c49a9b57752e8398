import Database
import JobQueue
import NightshiftCore
import Logging
import NightshiftCLI
import PostgresNIO
import ServiceLifecycle

/// Runs a worker (and optionally the promoter) in-process for a test, with graceful shutdown.
/// Failures are written to job history as the real process writes them (``ErrorText``).
public final class WorkerHarness: Sendable {
    public let worker: Worker
    let group: ServiceGroup
    let task: Task<Void, any Error>

    public init(
        client: PostgresClient, configuration: WorkerConfiguration, registry: JobRegistry? = nil,
        promoter: Bool = true, url: DatabaseURL = TestDatabase.url, events: JobEvents = .none
    ) throws {
        let store = JobStore(client: client, logger: TestDatabase.logger, events: events)
        var registry = registry ?? JobRegistry()
        if registry.kinds.isEmpty {
            try registry.register(NoopJob())
            try TestKinds.register(in: &registry)
        }
        var configuration = configuration
        configuration.errorText = { ErrorText.describe($0, url: url) }
        let worker = try Worker(configuration: configuration, database: url, registry: registry, store: store, logger: TestDatabase.logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: worker)]
        if promoter {
            var promoterConfiguration = Promoter.Configuration()
            promoterConfiguration.interval = .milliseconds(50)
            promoterConfiguration.queues = configuration.queueNames
            services.append(.init(service: Promoter(configuration: promoterConfiguration, store: store, logger: TestDatabase.logger)))
        }
        let group = ServiceGroup(configuration: .init(services: services, logger: TestDatabase.logger))
        self.worker = worker
        self.group = group
        self.task = Task { try await group.run() }
    }

    /// Graceful shutdown; returns when the worker has stopped.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    public static func configuration(queue: String, concurrency: Int = 10) -> WorkerConfiguration {
        var configuration = WorkerConfiguration()
        configuration.queues = [WorkerQueue(queue, limit: concurrency)]
        configuration.pollInterval = .milliseconds(200)
        // Frequent heartbeats: the crash tests run a rescuer with a short staleness beside us.
        configuration.heartbeatInterval = .milliseconds(250)
        configuration.retryPolicy = RetryPolicy(base: .milliseconds(10), cap: .milliseconds(50), jitter: 0.1)
        configuration.workerID = "test/\(queue)"
        return configuration
    }
}
