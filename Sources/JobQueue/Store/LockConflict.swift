import Database
import Logging

/// A write that lost a deadlock (40P01), waited past `lock_timeout` (55P03) or failed
/// serialization (40001) was rolled back whole and is safe to run again: its writer retries it
/// (completions, failures, snoozes, cancels, retries), so no attempt is lost and the rescuer
/// never has to count one for it.
enum LockConflict {
    static let sqlStates: Set<String> = ["40P01", "55P03", "40001"]
    /// Tries per write: a lost deadlock repeats only under the same interleaving.
    static let attempts = 5

    static func isConflict(_ error: any Error) -> Bool {
        DatabaseErrorMessage.sqlState(error).map(sqlStates.contains) ?? false
    }

    /// Runs `body`, again after a short, growing, jittered pause when it loses a lock conflict.
    static func retrying<T: Sendable>(
        logger: Logger, _ what: String, _ body: () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch where attempt < attempts && isConflict(error) {
                logger.info("write lost a lock conflict; trying again", metadata: [
                    "write": "\(what)", "attempt": "\(attempt)", "sqlstate": "\(DatabaseErrorMessage.sqlState(error) ?? "")"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...20) << attempt))
                attempt += 1
            }
        }
    }
}
