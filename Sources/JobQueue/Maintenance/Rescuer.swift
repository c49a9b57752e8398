import Foundation
import Logging
import ServiceLifecycle

/// Returns jobs whose worker stopped heartbeating (killed, lost its network) to `retryable`,
/// or `discarded` when their attempts are used up. Safe to run in every worker.
public struct Rescuer: Service {
    public struct Configuration: Sendable {
        /// A running job whose heartbeat is older than this is rescued. Keep it several times
        /// the workers' heartbeat interval (5 s).
        public var staleAfter: Duration = .seconds(30)
        public var interval: Duration = .seconds(10)
        /// Only these queues; empty means all.
        public var queues: [String] = []
        public init() {}
    }

    public let configuration: Configuration
    let store: JobStore
    let logger: Logger

    public init(configuration: Configuration = .init(), store: JobStore, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
    }

    /// One pass. Each rescued job is reported (and logged) as a job event by the store.
    /// `now`: the database's clock unless a test passes one.
    @discardableResult
    public func runOnce(now: Date? = nil) async throws -> JobStore.RescueResult {
        try await store.rescueStuckJobs(staleAfter: configuration.staleAfter, queues: configuration.queues, now: now)
    }

    public func run() async throws {
        try await MaintenanceLoop.run(name: "rescuer", every: configuration.interval, logger: logger) {
            try await runOnce()
        }
    }
}
