@testable import BackOffice
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage
import PostgresNIO
import Testing
import TestSupport

/// With a bucket, backup-month copies the CSV and its manifest to {branch}/monthly/YYYY_MM/,
/// and verify treats a missing or different copy as a problem.
@Suite struct OffsiteCopyTests {
    @Test func theMonthBackupGoesOffSiteAndVerifyNoticesWhenItGoesMissingOrChanges() async throws {
        let queue = TestDatabase.uniqueQueue("offsite")
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            let bucket = try await TestObjectStorage.freshBucket("monthly")
            let settings = BackOfficeSettings(backupDirectory: fixture.backups, branchID: "offsite-\(UUID().uuidString.prefix(6).lowercased())")
            var registry = JobRegistry()
            try registry.register(BackupMonthJob(settings: settings, database: TestDatabase.url, offsite: bucket))
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(try NewJob(BackupMonthJob.self, args: .init(year: fixture.month.year, month: fixture.month.month), queue: queue))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
            try await eventually(timeout: .seconds(30), "backed up") { try await store.job(job.id)?.state == .succeeded }
            try await harness.stop()

            let location = BackupLocation(baseDirectory: fixture.backups, month: fixture.month)
            let prefix = "\(settings.branch.id)/monthly/\(fixture.month.folderName)/"
            #expect(try await bucket.list(prefix: prefix).map(\.key) == [prefix + location.fileName, prefix + location.manifest.lastPathComponent])
            #expect(try await bucket.head(prefix + location.fileName)?.sha256 == (try FileDigest.sha256(of: location.csv)).sha256)
            let offsite = OffsiteCopy(store: bucket, branch: settings.branch.id)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, offsite: offsite, logger: TestDatabase.logger)
            #expect(try await verifier.verify(fixture.month).ok)

            _ = try await bucket.put(prefix + location.fileName, data: Data("not the backup".utf8), contentType: "text/csv")
            #expect(try await verifier.verify(fixture.month).offsiteProblems.contains { $0.contains("differs from the local file") })
            // break-office2 21: an upload never writes over a version key that holds another file.
            let manifest = try BackupManifest.decoder.decode(BackupManifest.self, from: Data(contentsOf: location.manifest))
            await #expect {
                try await offsite.upload(location, manifest: manifest)
            } throws: { error in
                guard case .bucketHoldsAnother(_, let keys)? = error as? BackupError else { return false }
                return keys == [prefix + location.fileName]
            }
            #expect(try await bucket.head(prefix + location.fileName)?.size == Int64("not the backup".utf8.count), "not written over")
            try await bucket.delete([prefix + location.fileName])
            let report = try await verifier.verify(fixture.month)
            #expect(!report.ok && report.problems.isEmpty, "the local backup is fine; its copy is not")
            #expect(report.offsiteProblems.contains { $0.contains("is missing") })
            // The close only needs the local backup.
            _ = try await verifier.verifiedManifest(fixture.month)
        }
    }

    /// break-office2 2 and 3: in local-only mode the month's CSV is copied to the store folder,
    /// and verify reads that copy back: a flipped byte in it is found although the checksum
    /// recorded beside it still matches.
    @Test func aLocalStoresCopyOfTheMonthIsReadBackByVerify() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 12)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let folder = LocalDirectoryStore(root: fixture.backups.appendingPathComponent("store"))
            let settings = BackOfficeSettings(backupDirectory: fixture.backups, branchID: "local-\(UUID().uuidString.prefix(6).lowercased())")
            let location = BackupLocation(baseDirectory: fixture.backups, month: fixture.month)
            guard case .created(let manifest) = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger)
                .create(fixture.month) else { Issue.record("no backup written"); return }
            let offsite = OffsiteCopy(store: folder, branch: settings.branch.id)
            try await offsite.upload(location, manifest: manifest)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, offsite: offsite, logger: TestDatabase.logger)
            #expect(try await verifier.verify(fixture.month).ok)
            let copy = folder.root.appendingPathComponent("\(settings.branch.id)/monthly/\(fixture.month.folderName)/\(location.fileName)")
            var bytes = try Data(contentsOf: copy)
            bytes[bytes.count / 2] ^= 0x01
            try bytes.write(to: copy)
            let report = try await verifier.verify(fixture.month)
            #expect(!report.ok && report.offsiteProblems.contains { $0.contains("differs from the local file") }, "\(report.offsiteProblems)")
        }
    }

    /// break-office2 18: a month backup enqueued for branch loja (its schedule, the API or
    /// `nightshift enqueue` on loja) and claimed by branch sul's worker goes under loja's prefix
    /// in the bucket, not sul's; the close enqueued for loja is loja's too.
    @Test func aMonthBackupIsFiledUnderTheBranchItWasEnqueuedFor() async throws {
        let queue = TestDatabase.uniqueQueue("branchmonth")
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 12)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let bucket = try await TestObjectStorage.freshBucket("branchmonth")
            let tag = UUID().uuidString.prefix(6).lowercased()
            let (loja, sul) = ("loja-\(tag)", "sul-\(tag)")
            let settings = BackOfficeSettings(backupDirectory: fixture.backups, branchID: sul)
            var registry = JobRegistry()
            try registry.register(BackupMonthJob(settings: settings, database: TestDatabase.url, offsite: bucket))
            try registry.register(GenerateExtratoJob(settings: settings))
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let backup = try await store.enqueue(try NewJob(BackupMonthJob.self, args: .init(year: fixture.month.year, month: fixture.month.month, branch: loja),
                                                            queue: queue))
            #expect(throws: InvalidInput.self) { try BackupMonthJob.validate(.init(year: 2020, month: 1, branch: ".x")) }
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
            try await eventually(timeout: .seconds(30), "backed up") { try await store.job(backup.id)?.state == .succeeded }
            try await harness.stop()
            let location = BackupLocation(baseDirectory: fixture.backups, month: fixture.month)
            let prefix = "\(loja)/monthly/\(fixture.month.folderName)/"
            #expect(try await bucket.list(prefix: prefix).map(\.key) == [prefix + location.fileName, prefix + location.manifest.lastPathComponent])
            #expect(try await bucket.list(prefix: "\(sul)/").isEmpty, "nothing under the claiming worker's branch")
        }
    }

    /// break-office2 21: a worker on another machine (another BACKUP_DIR) backs up the same
    /// month after a record changed: its own version 1 is refused in the bucket, which keeps the
    /// first machine's.
    @Test func anotherMachinesVersionOneDoesNotReplaceTheBucketsCopy() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 12)
            let other = FileManager.default.temporaryDirectory.appendingPathComponent("nightshift-other-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: fixture.backups); try? FileManager.default.removeItem(at: other) }
            let bucket = try await TestObjectStorage.freshBucket("twohosts")
            let offsite = OffsiteCopy(store: bucket, branch: "twohosts-\(UUID().uuidString.prefix(6).lowercased())")
            func backUp(_ folder: URL) async throws -> (BackupLocation, BackupManifest) {
                guard case .created(let manifest) = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: folder, logger: TestDatabase.logger)
                    .create(fixture.month) else { throw BackupError.io("not written") }
                return (BackupLocation(baseDirectory: folder, month: fixture.month), manifest)
            }
            let (first, firstManifest) = try await backUp(fixture.backups)
            try await offsite.upload(first, manifest: firstManifest)
            try await client.query(PostgresQuery(unsafeSQL: """
                INSERT INTO gastos (data, valor, descricao) VALUES (DATE '\(fixture.month.firstDay)' + 3, 9.99, 'outra máquina')
                """), logger: TestDatabase.logger)
            let (second, secondManifest) = try await backUp(other)
            await #expect(throws: BackupError.self) { try await offsite.upload(second, manifest: secondManifest) }
            let key = offsite.key(first, first.csv)
            #expect(try await bucket.head(key)?.sha256 == firstManifest.sha256, "the first machine's version 1 stays")
            #expect(try await offsite.problems(first, manifest: firstManifest).isEmpty)
        }
    }
}
