import Foundation
import Database
import JobQueue
import Logging
import PostgresNIO

/// The test database: `NIGHTSHIFT_TEST_DATABASE_URL` (set by ops/test.sh), else a local default.
public enum TestDatabase {
    public static var url: DatabaseURL {
        let text = ProcessInfo.processInfo.environment["NIGHTSHIFT_TEST_DATABASE_URL"]
            ?? ProcessInfo.processInfo.environment["DATABASE_URL"]
            ?? "postgres://postgres@127.0.0.1:5432/nightshift?sslmode=disable"
        return try! DatabaseURL(parsing: text)
    }

    public static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// The repository's Migrations folder.
    public static var migrationsDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["NIGHTSHIFT_MIGRATIONS_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Migrations")
    }

    /// Runs `body` with a running client on a migrated database (`url` by default).
    public static func withClient<T: Sendable>(
        url: DatabaseURL = TestDatabase.url, maximumConnections: Int = 10, migrate: Bool = true,
        _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = DatabaseClient.make(url, maximumConnections: maximumConnections, logger: logger)
        let running = RunningClient(client)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await running.run() }
            defer { group.cancelAll() }
            await running.waitUntilStarted()
            if migrate { try await migrateOnce(client) }
            return try await body(client)
        }
    }

    /// Migrates the shared test database once per test process; later calls wait for the first.
    public static func migrateOnce(_ client: PostgresClient) async throws {
        try await MigrationOnce.shared.run { try await migrate(client) }
    }

    static func migrate(_ client: PostgresClient) async throws {
        let migrations = try Migration.load(from: migrationsDirectory)
        _ = try await Migrator(client: client, logger: logger).migrate(migrations)
        try await client.query("""
            CREATE TABLE IF NOT EXISTS nightshift_test_effects (
                job_id bigint NOT NULL, attempt int NOT NULL, marker text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        // What the model-based test's job saw at each run (TestKinds.ModelJob).
        try await client.query("""
            CREATE TABLE IF NOT EXISTS nightshift_model_runs (
                job_id bigint NOT NULL, attempt int NOT NULL, claim int NOT NULL, event text NOT NULL,
                worker text, deps jsonb NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())
            """, logger: logger)
    }

    /// A fresh, empty database for tests that need one of their own (migrations); dropped after.
    public static func withFreshDatabase<T: Sendable>(_ body: @Sendable (DatabaseURL) async throws -> T) async throws -> T {
        let name = "nightshift_t_\(UUID().uuidString.prefix(8).lowercased())"
        var admin = url
        admin.database = "postgres"
        _ = try await withClient(url: admin, migrate: false) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var fresh = url
        fresh.database = name
        do {
            let value = try await body(fresh)
            try await dropDatabase(name, admin: admin)
            return value
        } catch {
            try? await dropDatabase(name, admin: admin)
            throw error
        }
    }

    private static func dropDatabase(_ name: String, admin: DatabaseURL) async throws {
        _ = try await withClient(url: admin, migrate: false) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    /// A queue name no other test uses.
    public static func uniqueQueue(_ prefix: String = "t") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// Waits until `condition` holds, checking every 20 ms, failing after `timeout`.
public func eventually(
    timeout: Duration = .seconds(20), _ what: String = "condition",
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while true {
        if try await condition() { return }
        if ContinuousClock.now >= deadline { throw TimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public init(what: String, timeout: Duration) {
        self.what = what
        self.timeout = timeout
    }
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}

extension PostgresClient {
    /// The first column of the first row, for assertions.
    public func scalar<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as: T.Type = T.self) async throws -> T? {
        for try await value in try await self.query(query, logger: TestDatabase.logger).decode(T.self) { return value }
        return nil
    }
}

/// Runs the shared database's migration once per process.
actor MigrationOnce {
    static let shared = MigrationOnce()
    private var task: Task<Void, any Error>?

    func run(_ body: @escaping @Sendable () async throws -> Void) async throws {
        if let task { return try await task.value }
        let task = Task { try await body() }
        self.task = task
        try await task.value
    }
}
