import Database
import Foundation
import NightshiftCore

/// Settings of the back office's jobs. Filled from the environment by the process's
/// composition root; the defaults are the seeds'.
public struct BackOfficeSettings: Sendable {
    /// `BACKUP_DIR` (default `backups`): month backups go to `{BACKUP_DIR}/YYYY_MM/`, dumps to
    /// `{BACKUP_DIR}/dumps/`.
    public var backupDirectory: URL
    /// `EXTRATO_REQUIRE_BACKUP` (default true): generate-extrato refuses to run until the
    /// month's backup verifies.
    public var requireBackup: Bool
    /// `TZ` (default America/Sao_Paulo): "the previous month" is computed here, and the month
    /// close runs at 02:00 on day 1 here.
    public var timeZone: TimeZone
    public var branch: BranchSettings
    public var dumps = DumpSettings()
    /// `BACKUP_AGE_RECIPIENTS` and `BACKUP_AGE_IDENTITY_FILE`: month backups and dumps are
    /// encrypted (age) when recipients are set.
    public var encryption = BackupEncryption.off

    public static let defaultTimeZone = TimeZone(identifier: "America/Sao_Paulo")!

    public init(backupDirectory: URL, requireBackup: Bool = true, timeZone: TimeZone = BackOfficeSettings.defaultTimeZone,
                branchTimeZone: TimeZone? = nil, branchID: String = BranchSettings.defaultID) {
        self.backupDirectory = backupDirectory
        self.requireBackup = requireBackup
        self.timeZone = timeZone
        self.branch = BranchSettings(id: branchID, timeZone: branchTimeZone ?? timeZone)
    }

    /// `BRANCH_TZ` (default `TZ`).
    public var branchTimeZone: TimeZone { branch.timeZone }
    /// `{BACKUP_DIR}/dumps`.
    public var dumpDirectory: URL { backupDirectory.appendingPathComponent("dumps", isDirectory: true) }
}

/// One branch of the business (seed 004): its name in object keys and metrics.
public struct BranchSettings: Sendable {
    /// `BRANCH_ID` (default `default`): the first segment of every object key.
    public var id: String
    /// `BRANCH_NAME` (default: the id), shown in the metrics JSON.
    public var name: String
    /// `CURRENCY` (default `BRL`): the metrics' currency; amounts are in its minor unit.
    public var currency: String
    /// `BRANCH_TZ` (default `TZ`): the branch's day, for the nightly dump, the metrics push and
    /// the cloud prune.
    public var timeZone: TimeZone

    public static let defaultID = "default"

    /// A job's `branch` argument (nightly-dump, backup-month, generate-extrato): nil or a valid id.
    public static func validateArgument(_ branch: String?) throws(InvalidInput) {
        if let branch, !isValidID(branch) {
            throw InvalidInput(field: "branch", "branch '\(branch)' must be letters, digits, '-', '_' or '.' (at most 64), like BRANCH_ID")
        }
    }

    /// Whether `id` can name a branch: letters, digits, '-', '_' or '.', at most 64 (it is the
    /// first part of every object key and of every dump's file name).
    public static func isValidID(_ id: String) -> Bool {
        // The first character a letter or digit: a name starting with '.' makes hidden files
        // (dumps, store copies) that the temporary-file conventions and the local store's
        // listing skip, so its dumps were never pruned (break-office2 20).
        guard let first = id.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return id.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    public init(id: String = BranchSettings.defaultID, name: String? = nil, currency: String = "BRL", timeZone: TimeZone) {
        self.id = id
        self.name = name ?? id
        self.currency = currency
        self.timeZone = timeZone
    }
}

/// How database dumps are made, kept and checked (seeds 003 and 004).
public struct DumpSettings: Sendable {
    /// `DUMP_DATABASE_URL`: the database to dump; nil dumps the one in `DATABASE_URL`.
    public var database: DatabaseURL?
    /// `RESTORE_DATABASE_URL`: a standing database the restore drill overwrites each time
    /// (seed 003's backup database); nil makes a scratch database per drill and drops it.
    public var restoreDatabase: DatabaseURL?
    /// `BACKUP_RETENTION_DAYS` (7): local dump files older than this are removed after a dump.
    public var localRetentionDays = 7
    /// `BACKUP_CLOUD_RETENTION_DAYS` (90): objects under `{branch}/backups/` older than this are pruned.
    public var cloudRetentionDays = 90
    /// `BACKUP_MIN_KEEP` (3): completed backups kept whatever their age.
    public var minimumKept = 3
    /// `PG_BIN_DIR`: where pg_dump and pg_restore are; nil looks in PATH, then the newest
    /// /usr/lib/postgresql/*/bin.
    public var postgresBinDirectory: String?

    public init() {}
}

extension BackOfficeSettings {
    /// These settings for the branch a job names (its `branch` argument), so a dump or drill
    /// enqueued for branch B is made, named and recorded as B's whichever worker claims it;
    /// nil or the worker's own keeps them as they are. The branch's other settings (time zone,
    /// currency) stay the worker's.
    public func forBranch(_ id: String?) -> BackOfficeSettings {
        guard let id, id != branch.id else { return self }
        var settings = self
        settings.branch.id = id
        if branch.name == branch.id { settings.branch.name = id }
        return settings
    }
}
