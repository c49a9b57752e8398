import Foundation
import Logging
import ServiceLifecycle

/// Makes `scheduled` and `retryable` jobs `available` when their `run_at` comes.
public struct Promoter: Service {
    public struct Configuration: Sendable {
        /// How often to look. A due job waits at most this long past its run_at.
        public var interval: Duration = .seconds(1)
        /// Only these queues; empty means all.
        public var queues: [String] = []
        public init() {}
    }

    public struct Result: Sendable, Equatable {
        public var promoted: Int
    }

    public let configuration: Configuration
    let store: JobStore
    let logger: Logger

    public init(configuration: Configuration = .init(), store: JobStore, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
    }

    /// One pass; `now` is the database's clock unless a test passes one.
    @discardableResult
    public func runOnce(now: Date? = nil) async throws -> Result {
        var total = 0
        // A large backlog is moved in batches so no statement holds many row locks for long.
        while true {
            let promoted = try await store.promoteDueJobs(queues: configuration.queues, limit: 10_000, now: now)
            total += promoted
            if promoted < 10_000 { break }
        }
        if total > 0 { logger.debug("promoted due jobs", metadata: ["jobs": "\(total)"]) }
        return Result(promoted: total)
    }

    public func run() async throws {
        try await MaintenanceLoop.run(name: "promoter", every: configuration.interval, logger: logger) {
            try await runOnce()
        }
    }
}
