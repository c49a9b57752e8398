import Logging
import PostgresNIO

/// BEGIN … COMMIT on one pooled connection. Unlike `PostgresClient.withTransaction`, an error
/// thrown by `body` is rethrown as it is (after ROLLBACK), so callers can match on it.
public enum Transaction {
    public static func run<T: Sendable>(
        on client: PostgresClient, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            let value: T
            do {
                value = try await body(connection)
            } catch {
                do {
                    try await connection.query("ROLLBACK", logger: logger)
                } catch {
                    logger.warning("rollback failed", metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
                }
                throw error
            }
            try await connection.query("COMMIT", logger: logger)
            return value
        }
    }
}
