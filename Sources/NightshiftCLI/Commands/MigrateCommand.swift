import ArgumentParser
import Database
import Foundation
import NightshiftCore

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
        let settings = try database.settings()
        guard let directory = migrationsDir.map({ URL(fileURLWithPath: $0) }) ?? settings.migrationsDirectory
            ?? Migration.defaultDirectory(executable: CommandLine.arguments[0]) else {
            throw CommandFailure("no Migrations folder found: pass --migrations-dir PATH or set NIGHTSHIFT_MIGRATIONS_DIR")
        }
        let migrations: [Migration]
        do {
            migrations = try Migration.load(from: directory)
        } catch let error as ConfigurationError where error.setting == "NIGHTSHIFT_MIGRATIONS_DIR" {
            throw CommandFailure("\(error): pass --migrations-dir PATH or set NIGHTSHIFT_MIGRATIONS_DIR")
        }
        try await CommandDatabase.with(settings, requireSchema: false) { client, logger in
            let report = try await Migrator(client: client, logger: logger).migrate(migrations)
            let newest = migrations.last?.version ?? 0
            if report.applied.isEmpty {
                print("schema is up to date (version \(newest))")
            } else {
                print("applied \(report.applied.count) migration(s): \(report.applied.map(String.init).joined(separator: ", ")); schema is at version \(newest)")
            }
        }
    }
}
