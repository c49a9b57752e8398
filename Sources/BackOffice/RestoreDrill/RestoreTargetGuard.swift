import Database
import Foundation
import NightshiftCore
import PostgresNIO

/// RESTORE_DATABASE_URL checked by what the server says, not by how the URL is spelled
/// (break-office3 2): another host name, the LAN address or a PgBouncer port of the queue's or
/// the dumped database passed the settings' string comparison, and the drill's `pg_restore
/// --clean` then replaced production with the dump. A database is known by its server's start
/// time and its oid there (any user can read both); the drill refuses a target that is the
/// queue's or the dumped database.
struct RestoreTargetGuard {
    /// The target is the queue's or the dumped database under another name.
    struct SameDatabase: Error, CustomStringConvertible {
        var target: String
        var other: String
        var description: String {
            "RESTORE_DATABASE_URL (\(target)) is the same database as \(other), under another name (same server, same database): "
                + "a drill there would replace it with the dump. Point RESTORE_DATABASE_URL at a database kept for drills only, or unset it (a scratch database per drill)"
        }
    }

    static let identityQuery = """
        SELECT pg_postmaster_start_time()::text || '/' || (SELECT oid FROM pg_database WHERE datname = current_database())::text
        """

    static func identity(of url: DatabaseURL) async throws -> String {
        let session = LibPQSession(url: url, applicationName: "nightshift-drill guard")
        defer { session.close() }
        return try await session.run { try $0.execute(identityQuery).string(0, 0) }
    }

    /// Throws ``SameDatabase`` when `target` is `dumped` or the queue database (`history`'s).
    static func refuse(_ target: DatabaseURL, dumped: DatabaseURL, history: BackupHistory) async throws {
        // A target that cannot be reached is the restore's to report (it names it, no verdict).
        guard let mine = try? await identity(of: target) else { return }
        if try await identity(of: dumped) == mine { throw SameDatabase(target: target.description, other: "the dumped database (\(dumped.description))") }
        for try await queue in try await history.client.query(PostgresQuery(unsafeSQL: identityQuery), logger: history.logger).decode(String.self)
        where queue == mine {
            throw SameDatabase(target: target.description, other: "the queue's database (DATABASE_URL)")
        }
    }
}
