import Database
import Foundation
import Testing
import TestSupport

/// The binary's built-in migrations are the folder's, byte for byte (same checksums, so a
/// database migrated from either is the same to the migrator).
@Suite struct EmbeddedMigrationsTests {
    @Test func theEmbeddedMigrationsMatchTheFolder() throws {
        let folder = try Migration.load(from: TestDatabase.migrationsDirectory)
        #expect(EmbeddedMigrations.all.map(\.version) == folder.map(\.version),
                "run python3 ops/embed-migrations.py after adding a migration")
        for (embedded, file) in zip(EmbeddedMigrations.all, folder) {
            #expect(embedded.name == file.name && embedded.checksum == file.checksum,
                    "\(file.version)_\(file.name).sql changed: run python3 ops/embed-migrations.py")
        }
        #expect(EmbeddedMigrations.all.last?.version == SchemaVersion.required)
    }
}
