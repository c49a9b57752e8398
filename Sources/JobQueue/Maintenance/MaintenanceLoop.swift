import Database
import Logging
import ServiceLifecycle

/// The loop every maintenance service shares: run once, sleep, repeat, until graceful
/// shutdown. A failed pass is logged and the loop goes on.
enum MaintenanceLoop {
    static func run(
        name: String, every interval: Duration, logger: Logger, _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        do {
            try await loop(name: name, every: interval, logger: logger, body)
        } catch is CancellationError {
            // Graceful shutdown: a clean stop.
        }
    }

    private static func loop(
        name: String, every interval: Duration, logger: Logger, _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await body()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("\(name) pass failed", metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
