import BackOffice
import Foundation
import JobQueue
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
            try await bucket.delete([prefix + location.fileName])
            let report = try await verifier.verify(fixture.month)
            #expect(!report.ok && report.problems.isEmpty, "the local backup is fine; its copy is not")
            #expect(report.offsiteProblems.contains { $0.contains("is missing") })
            // The close only needs the local backup.
            _ = try await verifier.verifiedManifest(fixture.month)
        }
    }
}
