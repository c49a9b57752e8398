import BackOffice
import Database
import Foundation
import JobQueue
import ObjectStorage
import PostgresNIO
import TestSupport

/// A database of its own to dump (migrated, with a month of studio records and, when asked,
/// `padding` MiB of incompressible rows so a dump is big enough for a multipart upload), a
/// backup folder, a branch name no other test uses, and the settings that tie them together.
struct DumpFixture: Sendable {
    let database: DatabaseURL
    let folder: URL
    var settings: BackOfficeSettings

    var branch: String { settings.branch.id }

    static func with<T: Sendable>(padding: Int = 0, _ body: @Sendable (DumpFixture) async throws -> T) async throws -> T {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                _ = try await Migrator(client: client, logger: TestDatabase.logger)
                    .migrate(try Migration.load(from: TestDatabase.migrationsDirectory))
                let month = try StudioMonth(year: 2030, month: 3)
                try await DemoSeeder(client: client, logger: TestDatabase.logger).seed(months: [month], rowsPerMonth: 120)
                if padding > 0 {
                    try await client.query(PostgresQuery(unsafeSQL: """
                        CREATE TABLE padding AS
                        SELECT n, (SELECT decode(string_agg(md5(random()::text || n || g), ''), 'hex')
                                   FROM generate_series(1, 65536) AS g) AS bytes
                        FROM generate_series(1, \(padding)) AS n
                        """), logger: TestDatabase.logger)
                }
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ns-dumps-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            var settings = BackOfficeSettings(backupDirectory: folder, timeZone: TimeZone(identifier: "America/Sao_Paulo")!,
                                              branchID: "branch-\(UUID().uuidString.prefix(6).lowercased())")
            settings.dumps.database = url
            return try await body(DumpFixture(database: url, folder: folder, settings: settings))
        }
    }

    func localStore() -> LocalDirectoryStore { LocalDirectoryStore(root: folder.appendingPathComponent("store")) }

    func registry(store: any ObjectStore) throws -> JobRegistry {
        var registry = JobRegistry()
        try BackOfficeKinds.register(in: &registry, settings: settings, database: TestDatabase.url,
                                     stores: .init(store: store, offsite: store is S3Store ? store : nil))
        return registry
    }

    /// Files in the dumps folder, temporary ones included.
    func dumpFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: settings.dumpDirectory.path)) ?? []).sorted()
    }

    func history(_ client: PostgresClient) -> BackupHistory { BackupHistory(client: client, logger: TestDatabase.logger) }
}
