import Database
import Logging
import PostgresNIO
import ServiceLifecycle

/// The first service after the database client: checks that the database answers and that its
/// schema is what this build needs, then opens the gate the other services wait at, and stays
/// until shutdown. A failed check fails the process with the reason.
struct StartupCheck: Service {
    let client: RunningClient
    let url: DatabaseURL
    let requireSchema: Bool
    let gate: StartupGate
    let logger: Logger

    func run() async throws {
        await client.waitUntilStarted()
        do {
            try await DatabaseCheck.waitForDatabase(url, logger: logger)
            try await DatabaseCheck.connect(client.client, url: url, logger: logger)
            if requireSchema { try await Migrator.requireSchema(SchemaVersion.required, client: client.client, logger: logger) }
        } catch is CancellationError {
            gate.fail(CancellationError())
            return
        } catch {
            gate.fail(error)
            throw error
        }
        gate.open()
        try? await gracefulShutdown()
    }
}

/// A service that starts only once the gate opens.
struct Gated: Service {
    let service: any Service
    let gate: StartupGate

    func run() async throws {
        do {
            // A shutdown while the start-up check still waits for the database ends the wait:
            // shutdown runs service by service, last first, so a waiting service would hold it.
            try await cancelWhenGracefulShutdown { try await gate.wait() }
        } catch is CancellationError {
            return
        }
        try await service.run()
    }
}

/// "Does the database answer?", with a deadline and an error that says where it looked and
/// what the server said.
enum DatabaseCheck {
    /// A long-running process's start: a wrong database, role, password or TLS mode stops it
    /// at once (``DatabaseUnreachable/isPermanent``); a server that is down or restarting is
    /// waited for, with backoff up to 30 s, each try logging the cause, until shutdown.
    static func waitForDatabase(_ url: DatabaseURL, logger: Logger) async throws {
        var pause = Duration.seconds(1)
        while true {
            do {
                try await ConnectionProbe.check(url, logger: logger)
                return
            } catch {
                guard !error.isPermanent else { throw error }
                logger.warning("database not reachable yet; retrying", metadata: [
                    "error": "\(error)", "retry_in_s": "\(pause.components.seconds)",
                ])
                let wait = pause
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                pause = min(pause * 2, .seconds(30))
            }
        }
    }

    /// A one-shot command's check: the server's reason within 3 s, or the pool's first answer.
    static func connect(_ client: PostgresClient, url: DatabaseURL, logger: Logger) async throws {
        try await ConnectionProbe.check(url, logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.query("SELECT 1", logger: logger) }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    throw CommandFailure("timed out")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            throw CommandFailure(
                "cannot connect to \(url): \(DatabaseErrorMessage.describe(error, url: url)). Check DATABASE_URL and that PostgreSQL is running.")
        }
    }
}
