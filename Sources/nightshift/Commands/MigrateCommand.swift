import ArgumentParser
import Foundation
import JobQueue

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the numbered SQL files in Migrations/ that the database has not seen yet.",
        discussion: """
            Each file runs in its own transaction and is recorded in schema_migrations. Safe to run \
            again (a no-op) and from several processes at once (an advisory lock serializes them). \
            An applied file whose contents changed is an error.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Folder of NNNN_name.sql files; default: $NIGHTSHIFT_MIGRATIONS_DIR, ./Migrations, or the installed copy.")
    var migrationsDir: String?

    func run() async throws {
        let directory = try migrationsDir.map { URL(fileURLWithPath: $0) } ?? Migration.defaultDirectory(
            environment: ProcessInfo.processInfo.environment, executable: CommandLine.arguments[0]) ?? {
            throw ConfigurationError("no Migrations folder found: pass --migrations-dir PATH or set NIGHTSHIFT_MIGRATIONS_DIR")
        }()
        let migrations = try Migration.load(from: directory)
        try await Database.with(database, requireSchema: false) { client, logger in
            do {
                let report = try await Migrator(client: client, logger: logger).migrate(migrations)
                let newest = migrations.last?.version ?? 0
                if report.applied.isEmpty {
                    print("schema is up to date (version \(newest))")
                } else {
                    print("applied \(report.applied.count) migration(s): \(report.applied.map(String.init).joined(separator: ", ")); schema is at version \(newest)")
                }
            } catch let error as MigrationError {
                throw CommandFailure(error.description)
            }
        }
    }
}
