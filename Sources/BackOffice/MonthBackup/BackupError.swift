import NightshiftCore

public enum BackupError: NightshiftError, Equatable {
    /// Reading the database or writing the file failed (disk full, folder not writable).
    case io(String)
    /// The month's backup is not there, or does not match its manifest or the database.
    case missingOrInvalid(StudioMonth, problems: [String])

    public var description: String {
        switch self {
        case .io(let message): return message
        case let .missingOrInvalid(month, problems):
            return "backup for \(month.slashed) missing or invalid: \(problems.joined(separator: "; "))"
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .io: return .unavailable
        case .missingOrInvalid: return .conflict
        }
    }

    public var remedy: Remedy? {
        if case let .missingOrInvalid(month, _) = self { return .createMonthBackup(year: month.year, month: month.month) }
        return nil
    }
}
