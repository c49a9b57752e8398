import ArgumentParser
import BackOffice
import Foundation

/// `--year Y --month M`, defaulting to the previous month in TZ when both are left out.
struct MonthOptions: ParsableArguments {
    @Option(help: "Year, e.g. 2026 (default: the previous month's).") var year: Int?
    @Option(help: "Month 1–12 (default: the previous month in TZ).") var month: Int?

    func validate() throws {
        if (year == nil) != (month == nil) { throw ValidationError("give --year and --month together, or neither for the previous month") }
        if let year, let month {
            do { _ = try StudioMonth(year: year, month: month) } catch { throw ValidationError("--\(error.field ?? "month"): \(error)") }
        }
    }

    func resolved(_ settings: BackOfficeSettings) -> StudioMonth {
        if let year, let month, let value = try? StudioMonth(year: year, month: month) { return value }
        return StudioMonth.previous(of: Date(), in: settings.timeZone)
    }
}

/// `--base-dir DIR`, overriding BACKUP_DIR.
struct BackupDirectoryOption: ParsableArguments {
    @Option(name: .customLong("base-dir"), help: "Backup folder (default: $BACKUP_DIR or ./backups).") var baseDir: String?

    func apply(to settings: inout Settings) {
        if let baseDir { settings.backOffice.backupDirectory = URL(fileURLWithPath: baseDir) }
    }
}
