import Logging
import PostgresNIO

/// Applies numbered migrations in order, each in its own transaction, recorded in
/// `schema_migrations`, under an advisory lock so concurrent migrators are safe.
public struct Migrator: Sendable {
    public struct Report: Sendable, Equatable {
        /// Versions this run applied, in order; empty when the schema was up to date.
        public var applied: [Int] = []
    }

    /// Arbitrary constant that names the migration lock in `pg_advisory_lock`.
    static let advisoryLockKey: Int64 = 0x6E69_6768_7473_6D67 // "nightsmg"

    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func migrate(_ migrations: [Migration]) async throws -> Report {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                let report = try await apply(migrations, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return report
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws -> Report {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var applied: [Int: String] = [:]
        for try await (version, checksum) in try await connection.query(
            "SELECT version, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String).self) {
            applied[version] = checksum
        }
        var report = Report()
        for migration in migrations {
            if let checksum = applied[migration.version] {
                guard checksum == migration.checksum else {
                    throw MigrationError.checksumMismatch(version: migration.version, name: migration.name)
                }
                continue
            }
            try await connection.query("BEGIN", logger: logger)
            for statement in SQLStatementSplitter.split(migration.sql) {
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                } catch {
                    throw MigrationError.failed(
                        version: migration.version, name: migration.name,
                        reason: DatabaseErrorMessage.describe(error))
                }
            }
            try await connection.query("""
                INSERT INTO schema_migrations (version, name, checksum)
                VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                """, logger: logger)
            try await connection.query("COMMIT", logger: logger)
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            report.applied.append(migration.version)
        }
        return report
    }

    /// The newest applied version, or nil on a database never migrated.
    /// When the first migration was applied, in seconds since 1970 as PostgreSQL reckons them
    /// (the deployment's start; nil before any migration).
    public static func deployedAtEpochSeconds(client: PostgresClient, logger: Logger) async throws -> Double? {
        for try await first in try await client.query("SELECT extract(epoch FROM min(applied_at))::float8 FROM schema_migrations",
                                                      logger: logger).decode(Double?.self) { return first }
        return nil
    }

    public static func currentVersion(client: PostgresClient, logger: Logger) async throws -> Int? {
        let rows = try await client.query(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        var exists = false
        for try await value in rows.decode(Bool.self) { exists = value }
        guard exists else { return nil }
        for try await version in try await client.query(
            "SELECT max(version) FROM schema_migrations", logger: logger
        ).decode(Int?.self) {
            return version
        }
        return nil
    }

    /// Refuses to go on when the database is older than this build needs.
    public static func requireSchema(_ required: Int, client: PostgresClient, logger: Logger) async throws {
        let current = try await currentVersion(client: client, logger: logger)
        guard let current, current >= required else {
            throw MigrationError.schemaTooOld(current: current, required: required)
        }
    }
}
