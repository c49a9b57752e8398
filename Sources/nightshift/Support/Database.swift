import ArgumentParser
import Foundation
import JobQueue
import Logging
import PostgresNIO

/// Opens the database for a command: builds the client, runs it, checks that it answers (and
/// that the schema is new enough when asked), runs `body`, and closes it.
enum Database {
    static func with<T: Sendable>(
        _ options: DatabaseOptions, requireSchema: Bool = true, maximumConnections: Int = 10,
        _ body: @Sendable (PostgresClient, Logger) async throws -> T
    ) async throws -> T {
        let logger = Log.make("nightshift")
        let url = try options.resolvedURL()
        let client = DatabaseClient.make(url, maximumConnections: maximumConnections, logger: Log.make("postgres"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await checkConnection(client, url: url, logger: logger)
            if requireSchema {
                do {
                    try await Migrator.requireSchema(SchemaVersion.required, client: client, logger: logger)
                } catch let error as MigrationError {
                    throw CommandFailure(error.description)
                }
            }
            do {
                return try await body(client, logger)
            } catch let error as PSQLError {
                throw CommandFailure(DatabaseErrorMessage.describe(error, url: url))
            }
        }
    }

    private static func checkConnection(_ client: PostgresClient, url: DatabaseURL, logger: Logger) async throws {
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

/// An error that ends a command with its message and exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
