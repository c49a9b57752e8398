import ArgumentParser
import Database
import Foundation
import JobQueue
import Logging
import PostgresNIO

/// Opens the database for a one-shot command: builds the client, runs it, checks that it
/// answers (and that the schema is new enough when asked), runs `body`, and closes it.
/// Long-running commands go through ``ProcessAssembly`` instead.
enum CommandDatabase {
    static func with<T: Sendable>(
        _ settings: Settings, requireSchema: Bool = true, maximumConnections: Int = 10,
        _ body: @Sendable (PostgresClient, Logger) async throws -> T
    ) async throws -> T {
        let logger = Log.make("nightshift")
        let url = try settings.requireDatabase()
        let client = DatabaseClient.make(url, maximumConnections: maximumConnections, logger: Log.make("postgres"))
        let running = RunningClient(client)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await running.run() }
            defer { group.cancelAll() }
            await running.waitUntilStarted()
            try await DatabaseCheck.connect(client, url: url, logger: logger)
            if requireSchema { try await Migrator.requireSchema(SchemaVersion.required, client: client, logger: logger) }
            do {
                return try await body(client, logger)
            } catch let error as PSQLError {
                throw CommandFailure(DatabaseErrorMessage.describe(error, url: url))
            }
        }
    }
}

/// An error that ends a command with its message and exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
