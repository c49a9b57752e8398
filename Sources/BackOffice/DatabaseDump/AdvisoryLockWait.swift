import Logging
import PostgresNIO

/// Waits for an advisory lock on `connection` without a statement that blocks in the server:
/// `pg_try_advisory_lock…` again every half second, so a cancelled task (the worker's shutdown
/// grace over) stops waiting at once with `CancellationError` instead of holding the worker until
/// the other holder lets go (break-dumps 7).
enum AdvisoryLockWait {
    /// `function` is `pg_try_advisory_lock` or `pg_try_advisory_lock_shared`; the key is hashed
    /// with `hashtext`, as every lock of these files is.
    static func acquire(_ function: String, key: String, on connection: PostgresConnection, logger: Logger) async throws {
        let query: PostgresQuery = function == "pg_try_advisory_lock_shared"
            ? "SELECT pg_try_advisory_lock_shared(hashtext(\(key)))"
            : "SELECT pg_try_advisory_lock(hashtext(\(key)))"
        while true {
            try Task.checkCancellation()
            for try await taken in try await connection.query(query, logger: logger).decode(Bool.self) where taken { return }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}
