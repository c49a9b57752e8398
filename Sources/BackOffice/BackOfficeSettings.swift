import Foundation

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
        var requireBackup = true
        if let raw = environment["EXTRATO_REQUIRE_BACKUP"], !raw.isEmpty {
            switch raw.lowercased() {
            case "1", "true", "yes", "on": requireBackup = true
            case "0", "false", "no", "off": requireBackup = false
            default: throw BackupError.invalid("EXTRATO_REQUIRE_BACKUP=\(raw) is not a boolean: use true or false")
            }
        }
        let zoneName = environment["TZ"].flatMap { $0.isEmpty ? nil : $0 } ?? "America/Sao_Paulo"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw BackupError.invalid("TZ=\(zoneName) is not an IANA time zone: use a name like America/Sao_Paulo")
        }
        self.init(backupDirectory: URL(fileURLWithPath: directory), requireBackup: requireBackup, timeZone: zone)
    }
}
