import Foundation
import JobQueue

/// Settings of the month close, read from the environment at the entry point.
public struct BackOfficeSettings: Sendable {
    /// `BACKUP_DIR` (default `backups`): backups go to `{BACKUP_DIR}/YYYY_MM/backup_YYYY_MM.csv`.
    public var backupDirectory: URL
    /// `EXTRATO_REQUIRE_BACKUP` (default true): generate-extrato refuses to run until the
    /// month's backup verifies.
    public var requireBackup: Bool
    /// `TZ` (default America/Sao_Paulo): "the previous month" is computed here.
    public var timeZone: TimeZone

    public init(backupDirectory: URL, requireBackup: Bool = true,
                timeZone: TimeZone = TimeZone(identifier: "America/Sao_Paulo")!) {
        self.backupDirectory = backupDirectory
        self.requireBackup = requireBackup
        self.timeZone = timeZone
    }

    public init(environment: [String: String]) throws {
        let directory = environment["BACKUP_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "backups"
        let requireBackup = try EnvironmentValue.bool("EXTRATO_REQUIRE_BACKUP", in: environment, default: true)
        let zone = try EnvironmentValue.timeZone("TZ", in: environment, default: "America/Sao_Paulo")
        self.init(backupDirectory: URL(fileURLWithPath: directory), requireBackup: requireBackup, timeZone: zone)
    }
}
