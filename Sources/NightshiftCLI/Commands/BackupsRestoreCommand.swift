import ArgumentParser
import BackOffice
import Database
import Foundation

struct BackupsRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a dump into a database you name (seed 004's restore steps as one command).",
        discussion: """
            Takes the dump's local file, or downloads it from the store, checks its SHA-256 against \
            backup_history, then runs pg_restore --clean --if-exists into --target-url: objects in \
            the target that the dump holds are dropped and recreated. Stop the workers and the API \
            first when the target is production, then run `nightshift migrate`.
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "backup_history id (see `nightshift backups list`).") var id: Int64
    @Option(name: .customLong("target-url"), help: "The database to restore into: postgres://user:pass@host:5432/db.") var targetURL: String
    @Flag(help: "Confirm: the target database's objects are replaced.") var yes = false

    func validate() throws {
        do { _ = try DatabaseURL(parsing: targetURL, setting: "--target-url") } catch { throw ValidationError("\(error)") }
        guard yes else {
            throw ValidationError("restoring replaces what \((try? DatabaseURL(parsing: targetURL))?.description ?? "the target") holds: add --yes to go ahead")
        }
    }

    func run() async throws {
        let settings = try database.settings()
        let target = try DatabaseURL(parsing: targetURL, setting: "--target-url")
        let id = self.id
        try await CommandDatabase.with(settings) { client, logger in
            let history = BackupHistory(client: client, logger: logger)
            guard let record = try await history.record(id) else {
                throw CommandFailure("backup \(id) not found: see `nightshift backups list`")
            }
            let restorer = DumpRestorer(settings: settings.backOffice, store: StoreCatalog.stores(settings, logger: logger).store, logger: logger)
            let started = ContinuousClock.now
            let progress = TerminalProgress("restore", logger: logger)
            // Held in use meanwhile: a prune or local retention keeps this dump's file and object.
            try await restorer.restoreBackup(record, history: history, into: target, progress: progress) { fetched in
                if let note = fetched.note { print("note: \(note)") }
                print("restoring backup \(id) (\(record.startedAt.shortISO), sha256 verified) into \(target)")
            }
            progress.finish()
            print("restored in \(ContinuousClock.now - started); next: `nightshift migrate --database-url …` on the target, then start the workers")
        }
    }
}
