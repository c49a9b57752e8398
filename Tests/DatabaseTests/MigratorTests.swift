import Foundation
import Database
import NightshiftCore
import PostgresNIO
import Testing
import TestSupport

@Suite struct MigratorTests {
    let migrations = try! Migration.load(from: TestDatabase.migrationsDirectory)

    @Test func migratingTwiceIsANoOp() async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                let migrator = Migrator(client: client, logger: TestDatabase.logger)
                let first = try await migrator.migrate(migrations)
                #expect(first.applied == migrations.map(\.version))
                let second = try await migrator.migrate(migrations)
                #expect(second.applied.isEmpty)
                #expect(try await Migrator.currentVersion(client: client, logger: TestDatabase.logger) == migrations.last?.version)
            }
        }
    }

    /// The storage parameters the migrations promise on `jobs` (docs/benchmarks.md, "Growth").
    @Test func jobsIsVacuumedSoonerThanPostgreSQLsDefault() async throws {
        try await TestDatabase.withClient { client in
            let options = try await client.scalar("""
                SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'jobs'::regclass
                """, as: String.self)
            #expect(options?.split(separator: ",").sorted() == [
                "autovacuum_analyze_scale_factor=0.02", "autovacuum_analyze_threshold=1000",
                "autovacuum_vacuum_scale_factor=0.02", "autovacuum_vacuum_threshold=1000",
            ])
        }
    }

    @Test func concurrentMigratorsApplyEachFileOnce() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let migrations = self.migrations
            let reports = try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await TestDatabase.withClient(url: url, migrate: false) { client in
                            try await Migrator(client: client, logger: TestDatabase.logger).migrate(migrations)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.flatMap(\.applied).sorted() == migrations.map(\.version))
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                let applied = try await client.scalar("SELECT count(*)::int FROM schema_migrations", as: Int.self)
                #expect(applied == migrations.count)
            }
        }
    }

    @Test func aChangedAppliedFileIsRefused() async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                let migrator = Migrator(client: client, logger: TestDatabase.logger)
                _ = try await migrator.migrate(migrations)
                var changed = migrations
                changed[0].sql += "\n-- edited after it was applied\n"
                await #expect(throws: MigrationError.checksumMismatch(version: changed[0].version, name: changed[0].name)) {
                    try await migrator.migrate(changed)
                }
            }
        }
    }

    @Test func aFailingMigrationRollsBackAndSaysWhich() async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                let bad = migrations + [Migration(version: 9_999, name: "broken", sql: "CREATE TABLE half_done (id int); SELECT 1/0;")]
                await #expect {
                    try await Migrator(client: client, logger: TestDatabase.logger).migrate(bad)
                } throws: { error in
                    "\(error)".contains("migration 9999 (broken) failed") && "\(error)".contains("division by zero")
                }
                let tableAbsent = try await client.scalar("SELECT to_regclass('half_done') IS NULL", as: Bool.self)
                let newest = try await client.scalar("SELECT max(version) FROM schema_migrations", as: Int.self)
                #expect(tableAbsent == true)
                #expect(newest == migrations.last?.version)
            }
        }
    }

    @Test func otherRolesRefuseAnUnmigratedDatabase() async throws {
        // The CLI words the remedy as "run `nightshift migrate`" (CrashTests checks the message).
        _ = try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                await #expect {
                    try await Migrator.requireSchema(SchemaVersion.required, client: client, logger: TestDatabase.logger)
                } throws: { error in
                    let typed = error as? MigrationError
                    return typed == .schemaTooOld(current: nil, required: SchemaVersion.required)
                        && typed?.remedy == .runMigrations && typed?.category == .unavailable
                }
            }
        }
    }
}
