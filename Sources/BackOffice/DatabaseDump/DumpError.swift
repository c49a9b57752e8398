import NightshiftCore

public enum DumpError: NightshiftError, Equatable {
    /// pg_dump, pg_restore or psql is not installed where it was looked for.
    case toolMissing(name: String, searched: String)
    /// The tool ran and failed; `message` is its own stderr.
    case toolFailed(name: String, status: Int32, message: String)
    /// The dump file does not match what history recorded (tampered, truncated, replaced).
    case checksumMismatch(path: String, expected: String, actual: String)
    /// No dump to work on: the history row, or its file and object, are gone.
    case notFound(String)
    /// A file could not be written, moved or removed.
    case file(String)
    /// The backup is not a completed dump (still being made, failed, expired): there is
    /// nothing to restore, and no verdict is written onto it.
    case notCompleted(id: Int64, status: String)
    /// pg_dump said it succeeded, but the archive it left is not whole (see ArchiveCompleteness).
    case incompleteArchive(path: String, reason: String)

    public var description: String {
        switch self {
        case let .toolMissing(name, searched):
            return "\(name) not found (looked in \(searched)): install the PostgreSQL client of the server's major version or newer (Debian: postgresql-client), or set PG_BIN_DIR"
        case let .toolFailed(name, status, message):
            return "\(name) failed (exit \(status)): \(message.isEmpty ? "no message" : message)"
        case let .checksumMismatch(path, expected, actual):
            return "\(path) is not the dump that was made: its SHA-256 is \(actual), history recorded \(expected) (tampered with, truncated or replaced)"
        case .notFound(let what), .file(let what):
            return what
        case let .notCompleted(id, status):
            let why = status == "running" ? "it is still being made: drill it once `nightshift backups show \(id)` says completed"
                : "only a completed dump can be restored: drill another (`nightshift backups list --status completed`)"
            return "backup \(id) is \(status), \(why)"

        case let .incompleteArchive(path, reason):
            return "pg_dump exited 0 but left \(path) incomplete: \(reason). Most likely the disk filled as it finished; the dump is removed (a dump job retries it): check the free space in BACKUP_DIR"
        }
    }

    /// The tool failed because it lost the server or could not reach it (a restart, a failover,
    /// a connection limit), not because of the dump: the same work done later can succeed.
    public var lostTheServer: Bool {
        guard case let .toolFailed(_, _, message) = self else { return false }
        return Self.serverGoneMessages.contains { message.contains($0) }
    }

    /// The tool failed because of where it restores into, not because of the dump: it could not
    /// connect (no such database, authentication, pg_hba.conf), or the target ran out of room
    /// or hit a limit (break-office2 7). A drill records no verdict on the dump for these.
    public var theTargetsFault: Bool {
        guard case let .toolFailed(_, _, message) = self else { return false }
        return lostTheServer || (message.contains("connection to server") && message.contains("failed"))
            || Self.targetMessages.contains { message.contains($0) }
    }

    static let targetMessages = [
        "password authentication failed", "no pg_hba.conf entry", "No space left on device", "could not extend file",
        "out of memory", "canceling statement due to statement timeout", "permission denied",
    ]

    /// What libpq and the server say when a connection is refused or cut.
    static let serverGoneMessages = [
        "server closed the connection unexpectedly", "terminating connection due to administrator command",
        "could not connect to server", "Connection refused", "the database system is shutting down",
        "the database system is starting up", "the database system is in recovery mode", "no connection to the server",
        "too many clients already", "could not receive data from server", "SSL SYSCALL error",
    ]

    public var category: ErrorCategory {
        switch self {
        case .toolMissing: return .misconfigured(setting: "PG_BIN_DIR")
        case .toolFailed, .file, .incompleteArchive: return .unavailable
        case .checksumMismatch, .notCompleted: return .conflict
        case .notFound: return .notFound
        }
    }
}
