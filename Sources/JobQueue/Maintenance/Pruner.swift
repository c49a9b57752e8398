import Foundation
import Logging
import ServiceLifecycle

/// Deletes old finished jobs in batches: succeeded and cancelled after `retention`, discarded
/// after `discardedRetention` (kept longer, since they are what an operator investigates).
public struct Pruner: Service {
    public struct Configuration: Sendable {
        public var retention: Duration = .seconds(30 * 86_400)
        public var discardedRetention: Duration = .seconds(90 * 86_400)
        public var batchSize: Int = 5_000
        public var interval: Duration = .seconds(3_600)
        public init() {}
    }

    public struct Result: Sendable, Equatable {
        public var deleted: Int
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
        while true {
            let deleted = try await store.pruneFinishedJobs(
                succeededAndCancelledOlderThan: configuration.retention,
                discardedOlderThan: configuration.discardedRetention,
                limit: configuration.batchSize, now: now)
            total += deleted
            if deleted < configuration.batchSize { break }
        }
        if total > 0 { logger.info("pruned finished jobs", metadata: ["jobs": "\(total)"]) }
        return Result(deleted: total)
    }

    public func run() async throws {
        try await MaintenanceLoop.run(name: "pruner", every: configuration.interval, logger: logger) {
            try await runOnce()
        }
    }
}
