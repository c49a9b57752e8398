import NightshiftCore

public enum BackupError: NightshiftError, Equatable {
    /// Reading the database or writing the file failed (disk full, folder not writable).
    case io(String)
    /// The month's backup is not there, or does not match its manifest or the database.
    case missingOrInvalid(StudioMonth, problems: [String])
    /// The month is closed and records of it arrived after the close that no backup file holds.
    case lateRecords(StudioMonth, findings: [String])
    /// The month is closed, has no backup file, and no record of it is left in the tables: there
    /// is nothing to write (its records are in the extrato).
    case closedWithoutBackup(StudioMonth)
    /// Another process is writing this month's backup right now.
    case busy(StudioMonth)
    /// The month is closed and records of its extrato are in no intact version of its backup
    /// (a version lost or damaged): a version written from the extrato's own records is the way out.
    case extratoNotBackedUp(StudioMonth, problems: [String])
    /// `--from-extrato` for a month that has no extrato.
    case notClosed(StudioMonth)
    /// The bucket already holds other files under these versions' keys (another machine's
    /// BACKUP_DIR wrote its own versions of the month, or the bucket's copy changed): they are
    /// not written over.
    case bucketHoldsAnother(StudioMonth, keys: [String])
    /// A version's local file does not match its manifest and the bucket has no good copy of it
    /// either: it is not uploaded (it would replace the bucket's copy) nor trusted.
    case damaged(StudioMonth, problems: [String])

    public var description: String {
        switch self {
        case .io(let message): return message
        case let .missingOrInvalid(month, problems):
            return "backup for \(month.slashed) missing or invalid: \(problems.joined(separator: "; "))"
        case let .lateRecords(month, findings):
            return "month \(month.slashed) is closed and its backup does not hold every record: \(findings.joined(separator: "; "))"
        case let .closedWithoutBackup(month):
            return "month \(month.slashed) is closed into its extrato and has no CSV backup file; none of its records is left in the tables, "
                + "so there is nothing to write from them (the extrato holds them)"
        case let .extratoNotBackedUp(month, problems):
            return "the backup of closed month \(month.slashed) does not hold every record of its extrato: \(problems.joined(separator: "; "))"
        case let .bucketHoldsAnother(month, keys):
            return "the bucket already holds other files under the keys of the backup for \(month.slashed) (\(keys.joined(separator: ", "))): "
                + "they were not written over, nor was the manifest. Most likely a worker on another machine, with another BACKUP_DIR, "
                + "backed up the month too: give every worker that runs month jobs the same BACKUP_DIR (or route backup-month and "
                + "generate-extrato to one host), and keep both copies until you know which one to keep"
        case let .notClosed(month):
            return "month \(month.slashed) has no extrato, so there is nothing to write a version from: back up an open month from its tables (without --from-extrato)"
        case let .damaged(month, problems):
            return "backup for \(month.slashed) is damaged and was not uploaded (the bucket's copy is kept): \(problems.joined(separator: "; ")); "
                + "restore the file from another copy of the backup folder, then run this again"
        case let .busy(month):
            return "another process is writing the backup for \(month.slashed) right now: wait for it to finish, then run this again"
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .io: return .unavailable
        case .missingOrInvalid, .lateRecords, .closedWithoutBackup, .busy, .damaged, .extratoNotBackedUp, .notClosed, .bucketHoldsAnother: return .conflict
        }
    }

    public var remedy: Remedy? {
        switch self {
        case let .missingOrInvalid(month, _): return .createMonthBackup(year: month.year, month: month.month)
        case let .lateRecords(month, _): return .backUpLateRecords(year: month.year, month: month.month)
        case let .extratoNotBackedUp(month, _), let .closedWithoutBackup(month):
            return .backUpFromExtrato(year: month.year, month: month.month)
        default: return nil
        }
    }
}
