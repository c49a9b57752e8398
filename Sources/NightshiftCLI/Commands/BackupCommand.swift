import ArgumentParser
import BackOffice
import Foundation
import JobQueue

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Monthly CSV backups of pagamentos, sessoes, comissoes and gastos.",
        discussion: """
            Files: {BACKUP_DIR}/YYYY_MM/backup_YYYY_MM.csv with a manifest beside it (BACKUP_DIR default: backups). \
            With BACKUP_AGE_RECIPIENTS set, backups and dumps are encrypted (age): backup_YYYY_MM.csv.age.
            """,
        subcommands: [BackupCreateCommand.self, BackupVerifyCommand.self, BackupInfoCommand.self,
                      BackupDecryptCommand.self, BackupKeygenCommand.self]
    )
}

struct BackupCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Write a month's backup now (an existing valid one is kept unless --force).",
        discussion: "Earlier versions are never overwritten: writing again makes backup_YYYY_MM.v2.csv beside backup_YYYY_MM.csv, both listed in the manifest. A closed month's records are in its extrato, so a new version of it holds only records that arrived after the close, and is written (without --force) when there are such records; --from-extrato writes one from the extrato's own records instead. A lost manifest is rebuilt from the month's intact files.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var month: MonthOptions
    @OptionGroup var directory: BackupDirectoryOption
    @Flag(help: "Write a new version even if a valid backup exists (earlier versions are kept).") var force = false
    @Flag(name: .customLong("from-extrato"),
          help: "Closed months only: write a version from the extrato's own stored records (when the backup no longer holds them).")
    var fromExtrato = false
    @Flag(name: .customLong("print-sql"), help: .hidden) var printSQL = false

    func run() async throws {
        var settings = try database.settings()
        directory.apply(to: &settings)
        let target = month.resolved(settings.backOffice)
        if printSQL {
            print(MonthBackupWriter.query(target).sql.replacingOccurrences(of: "\n", with: " "))
            return
        }
        let (force, fromExtrato, url, folder, encryption) = (self.force, self.fromExtrato, try settings.requireDatabase(),
                                                             settings.backOffice.backupDirectory, settings.backOffice.encryption)
        let frozen = settings
        try await CommandDatabase.with(settings) { client, logger in
            let progress = TerminalProgress("backup", logger: logger)
            let outcome = try await MonthBackupWriter(database: url, baseDirectory: folder, encryption: encryption, logger: logger)
                .create(target, force: force, fromExtrato: fromExtrato, progress: progress)
            progress.finish()
            // As the backup-month job does: every version and the manifest go to the bucket
            // (break-office2 1: a version only on this disk while the close goes ahead).
            if let offsite = StoreCatalog.stores(frozen, logger: logger).offsite {
                let manifest: BackupManifest = switch outcome {
                case .created(let made), .alreadyExists(let made), .readopted(let made): made
                }
                let location = BackupLocation(baseDirectory: folder, month: target, encrypted: manifest.encryption != nil, version: manifest.version ?? 1)
                try await OffsiteCopy(store: offsite, branch: frozen.backOffice.branch.id).upload(location, manifest: manifest)
                print("copied to the bucket: \(manifest.versions.count) version(s) and the manifest under \(frozen.backOffice.branch.id)/monthly/\(target.folderName)/")
            }
            switch outcome {
            case .created(let manifest):
                let file = BackupLocation(baseDirectory: folder, month: target, encrypted: manifest.encryption != nil, version: manifest.version ?? 1).csv.path
                let what = switch manifest.scope ?? .month {
                case .afterClose: "records that arrived after the close"
                case .extrato: "records of the extrato"
                case .month: "records"
                }
                print("backup for \(target.slashed) written: \(file), \(manifest.totalRecords) \(what), \(manifest.sizeBytes) bytes\(manifest.encryption.map { ", encrypted (\($0)) to \(manifest.recipients?.count ?? 0) recipient(s)" } ?? "")")
                for earlier in manifest.history ?? [] {
                    print("  kept: version \(earlier.version), \(earlier.file), \(earlier.totalRecords) records (\(earlier.scope.rawValue))")
                }
                if manifest.scope == .afterClose {
                    print("the month is closed: merge them into its extrato with `nightshift extrato generate --year \(target.year) --month \(target.month) --force`")
                }
            case .readopted(let manifest):
                print("the manifest of the backup for \(target.slashed) was missing: rebuilt it from the intact backup file(s) "
                    + "\(manifest.versions.map(\.file).joined(separator: ", ")), \(manifest.monthRecords ?? manifest.totalRecords) records; nothing new to write")
            case .alreadyExists(let manifest):
                print("backup for \(target.slashed) already exists (\(manifest.versions.count) version(s), current \(manifest.file), \(manifest.totalRecords) records): "
                    + "use --force to write it again as a new version (earlier versions are kept); a closed month gets a new version only for records that arrive after its close")
            }
        }
    }
}

struct BackupVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a month's backup against its manifest and the database (a closed month: against its extrato).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var month: MonthOptions
    @OptionGroup var directory: BackupDirectoryOption

    func run() async throws {
        var settings = try database.settings()
        directory.apply(to: &settings)
        let target = month.resolved(settings.backOffice)
        let folder = settings.backOffice.backupDirectory
        let frozen = settings
        try await CommandDatabase.with(frozen) { client, logger in
            let offsite = StoreCatalog.stores(frozen, logger: logger).offsite.map {
                OffsiteCopy(store: $0, branch: frozen.backOffice.branch.id)
            }
            let report = try await BackupVerifier(client: client, baseDirectory: folder, offsite: offsite, encryption: frozen.backOffice.encryption,
                                                  logger: logger).verify(target)
            if report.ok {
                // A closed month: what the backup holds for it across its versions, not the current file's count.
                let what = if let held = report.monthRecords {
                    "\(held.values.reduce(0, +)) records of the closed month across \(report.versions.count) version(s)"
                } else {
                    report.contentsVerified ? "\(report.records.values.reduce(0, +)) records" : "contents NOT verified"
                }
                print("backup for \(target.slashed) is valid: \(report.file), \(what)\(offsite.map { _ in ", off-site copy matches" } ?? "")")
                for note in report.notes { print("  note: \(note)") }
                if report.lateRecords.contains(where: \.backedUp) {
                    print("  merge the late records into the extrato: `nightshift extrato generate --year \(target.year) --month \(target.month) --force`")
                }
            } else {
                let remedy = report.extratoUnheld > 0
                    ? "; " + ErrorText.command(for: .backUpFromExtrato(year: target.year, month: target.month))
                    : report.lateRecords.contains { !$0.backedUp }
                    ? "; " + ErrorText.command(for: .backUpLateRecords(year: target.year, month: target.month)) : ""
                let copy = report.problems.isEmpty && !report.offsiteProblems.isEmpty
                    ? "; run `nightshift backup create --year \(target.year) --month \(target.month)` to copy what the bucket lacks (nothing is rewritten)" : ""
                throw CommandFailure("backup for \(target.slashed) is NOT valid: \((report.problems + report.offsiteProblems).joined(separator: "; "))\(remedy)\(copy)")
            }
        }
    }
}

struct BackupInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "File path, size and record count of a month's backup.")
    @OptionGroup var month: MonthOptions
    @OptionGroup var directory: BackupDirectoryOption
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        var settings = try Launch.settings()
        directory.apply(to: &settings)
        let target = month.resolved(settings.backOffice)
        let report = try await BackupVerifier(client: nil, baseDirectory: settings.backOffice.backupDirectory, encryption: settings.backOffice.encryption,
                                          logger: Log.make("nightshift")).verify(target)
        struct Info: Encodable { var file: String; var sizeBytes: Int; var recordCount: Int; var records: [String: Int]; var valid: Bool; var problems: [String] }
        let info = Info(file: report.file, sizeBytes: report.sizeBytes, recordCount: report.records.values.reduce(0, +),
                        records: report.records, valid: report.ok, problems: report.problems)
        if json { try JSONOutput.print(info); return }
        print("file:     \(info.file)\nsize:     \(info.sizeBytes) bytes\nrecords:  \(info.recordCount) \(info.records.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))\nvalid:    \(info.valid ? "yes" : "no: " + info.problems.joined(separator: "; "))")
    }
}
