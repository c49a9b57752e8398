import NightshiftCore

/// A month too large for one `extratos` row: seed 002's layout keeps each record type's rows
/// as one jsonb array, and PostgreSQL caps a jsonb array at 256 MB — about a million records of
/// one type (measured: a month of 4,000,000 records, 1,000,000 of each type, passes it). The
/// close rolls back, so nothing moves, and retrying cannot help.
public struct ExtratoTooLarge: NightshiftError {
    public var month: String

    public var description: String {
        "month \(month) is too large to close into one extrato: a record type's rows, kept as one jsonb array per type (seed 002's extratos layout), "
            + "pass PostgreSQL's 256 MB limit for a jsonb array (about a million records of one type). Nothing was moved: "
            + "the month's records are still in their tables, and its CSV backup (`nightshift backup create`) holds all of them"
    }

    public var category: ErrorCategory { .conflict }

    /// Whether a database error is PostgreSQL refusing a jsonb array past its size limit.
    static func matches(_ message: String) -> Bool {
        message.contains("total size of jsonb array elements exceeds the maximum")
    }
}
