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
            try await DatabaseCheck.connect(client.client, url: url, logger: logger)
            if requireSchema { try await Migrator.requireSchema(SchemaVersion.required, client: client.client, logger: logger) }
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
            try await gate.wait()
        } catch is CancellationError {
            return
        }
        try await service.run()
    }
}

/// "Does the database answer?", with a deadline and an error that says where it looked.
enum DatabaseCheck {
    static func connect(_ client: PostgresClient, url: DatabaseURL, logger: Logger) async throws {
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
