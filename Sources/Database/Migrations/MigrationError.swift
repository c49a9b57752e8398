import NightshiftCore

public enum MigrationError: NightshiftError, Equatable {
    case checksumMismatch(version: Int, name: String)
    case failed(version: Int, name: String, reason: String)
    case schemaTooOld(current: Int?, required: Int)

    public var description: String {
        switch self {
        case let .checksumMismatch(version, name):
            return "migration \(version) (\(name)) was applied with different contents: an applied migration must not change; restore the file and add a new migration instead"
        case let .failed(version, name, reason):
            return "migration \(version) (\(name)) failed and was rolled back: \(reason)"
        case let .schemaTooOld(current, required):
            let have = current.map { "is at version \($0)" } ?? "has never been migrated"
            return "the database \(have), this build needs version \(required)"
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .checksumMismatch: return .conflict
        case .failed: return .internalFailure
        case .schemaTooOld: return .unavailable
        }
    }

    public var remedy: Remedy? {
        if case .schemaTooOld = self { return .runMigrations }
        return nil
    }
}
