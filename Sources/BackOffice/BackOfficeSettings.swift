import Foundation

/// Settings of the back office's jobs. Filled from the environment by the process's
/// composition root; the defaults are the seeds'.
public struct BackOfficeSettings: Sendable {
    /// `BACKUP_DIR` (default `backups`): backups go to `{BACKUP_DIR}/YYYY_MM/backup_YYYY_MM.csv`.
    public var backupDirectory: URL
    /// `EXTRATO_REQUIRE_BACKUP` (default true): generate-extrato refuses to run until the
    /// month's backup verifies.
    public var requireBackup: Bool
    /// `TZ` (default America/Sao_Paulo): "the previous month" is computed here, and the month
    /// close runs at 02:00 on day 1 here.
    public var timeZone: TimeZone
    /// `BRANCH_TZ` (default `TZ`): the branch's day, for the nightly dump, the metrics push and
    /// the cloud prune.
    public var branchTimeZone: TimeZone

    public static let defaultTimeZone = TimeZone(identifier: "America/Sao_Paulo")!

    public init(backupDirectory: URL, requireBackup: Bool = true, timeZone: TimeZone = BackOfficeSettings.defaultTimeZone,
                branchTimeZone: TimeZone? = nil) {
        self.backupDirectory = backupDirectory
        self.requireBackup = requireBackup
        self.timeZone = timeZone
        self.branchTimeZone = branchTimeZone ?? timeZone
    }
}
