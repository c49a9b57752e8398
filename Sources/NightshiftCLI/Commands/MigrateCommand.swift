import ArgumentParser
import BackOffice
import Database
import Foundation
import Logging
import NightshiftCore
import PostgresNIO

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

    @Option(help: "Folder of NNNN_name.sql files; default: $NIGHTSHIFT_MIGRATIONS_DIR, else the migrations built into this binary.")
    var migrationsDir: String?

    @Flag(name: .customLong("backup-first"),
          help: "Dump the database (type pre-migration) before applying anything, and migrate only if the dump succeeds.")
    var backupFirst = false

    func run() async throws {
        let settings = try database.settings()
        let migrations: [Migration]
        if let directory = migrationsDir.map({ URL(fileURLWithPath: $0) }) ?? settings.migrationsDirectory {
            do {
                migrations = try Migration.load(from: directory)
            } catch let error as ConfigurationError where error.setting == "NIGHTSHIFT_MIGRATIONS_DIR" {
                throw CommandFailure("\(error): pass --migrations-dir PATH or set NIGHTSHIFT_MIGRATIONS_DIR")
            }
        } else {
            migrations = EmbeddedMigrations.all
        }
        let backupFirst = self.backupFirst
        try await CommandDatabase.with(settings, requireSchema: false) { client, logger in
            let current = try await Migrator.currentVersion(client: client, logger: logger) ?? 0
            if backupFirst, migrations.contains(where: { $0.version > current }) {
                try await Self.dumpFirst(settings, client: client, logger: logger, schemaVersion: current)
            }
            let report = try await Migrator(client: client, logger: logger).migrate(migrations)
            let newest = migrations.last?.version ?? 0
            if report.applied.isEmpty {
                print("schema is up to date (version \(newest))")
            } else {
                print("applied \(report.applied.count) migration(s): \(report.applied.map(String.init).joined(separator: ", ")); schema is at version \(newest)")
            }
        }
    }

    /// The pre-migration dump (seed 003): recorded in backup_history when the table exists
    /// already. Any failure stops the migration.
    static func dumpFirst(_ settings: Settings, client: PostgresClient, logger: Logger, schemaVersion: Int) async throws {
        let url = try settings.requireDatabase()
        let historyExists = try await client.query("SELECT to_regclass('backup_history') IS NOT NULL", logger: logger)
            .decode(Bool.self).reduce(false) { $0 || $1 }
        let dumper = DatabaseDumper(settings: settings.backOffice, database: settings.backOffice.dumps.database ?? url,
                                    store: StoreCatalog.stores(settings, logger: logger).store,
                                    history: historyExists ? BackupHistory(client: client, logger: logger) : nil, logger: logger)
        let record: BackupRecord
        do {
            record = try await dumper.dump(type: .preMigration, attempt: nil)
        } catch {
            throw CommandFailure("the pre-migration dump failed, so nothing was migrated: \(ErrorText.describe(error, url: url))")
        }
        print("pre-migration dump (schema version \(schemaVersion)): \(record.localPath ?? "-"), sha256 \(record.sha256 ?? "-")\(record.objectKey.map { ", object \($0)" } ?? "")\(historyExists ? ", backup \(record.id)" : "")")
    }
}
