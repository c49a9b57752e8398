import BackOffice
import Foundation
import JobQueue
import ObjectStorage
import PostgresNIO
import Testing
import TestSupport

/// prune-cloud against a real bucket: objects past BACKUP_CLOUD_RETENTION_DAYS go, the newest
/// BACKUP_MIN_KEEP always stay, and so does a backup whose retention_until was raised.
@Suite struct PruneTests {
    func setUp(ages: [Double], _ body: @Sendable (CloudPruner, S3Store, [String], PostgresClient, BackOfficeSettings) async throws -> Void) async throws {
        try await TestDatabase.withClient { client in
            let bucket = try await TestObjectStorage.freshBucket("prune")
            var settings = BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent"),
                                              branchID: "prune-\(UUID().uuidString.prefix(6).lowercased())")
            settings.dumps.cloudRetentionDays = 90
            settings.dumps.minimumKept = 3
            var keys: [String] = []
            for age in ages {
                let key = DumpName(branch: settings.branch.id, at: Date().addingTimeInterval(-age * 86_400), in: settings.branch.timeZone).objectKey
                _ = try await bucket.put(key, data: Data("dump \(age)".utf8), contentType: "application/octet-stream")
                keys.append(key)
            }
            _ = try await bucket.put("\(settings.branch.id)/metrics/2026-01-01.json", data: Data("{}".utf8), contentType: "application/json")
            try await body(CloudPruner(settings: settings, store: bucket, client: client, logger: TestDatabase.logger), bucket, keys, client, settings)
        }
    }

    @Test func oldDumpsGoButTheMinimumAndRaisedRetentionsStay() async throws {
        try await setUp(ages: [1, 5, 40, 100, 120, 200]) { pruner, bucket, keys, client, settings in
            let branch = settings.branch.id
            let hundred = try await BackupFactory.insert(client, branch: branch, objectKey: keys[3], startedAt: Date().addingTimeInterval(-100 * 86_400))
            // Someone ran seed 003's "keep this one longer".
            try await BackupFactory.insert(client, branch: branch, objectKey: keys[4], startedAt: Date().addingTimeInterval(-120 * 86_400),
                                           retentionUntil: Date().addingTimeInterval(365 * 86_400))
            let plan = try await pruner.plan()
            #expect(Set(plan.delete.map(\.key)) == [keys[3], keys[5]])
            #expect(plan.keep.map(\.key) == [keys[0], keys[1], keys[2], keys[4]])
            #expect(plan.keep.last?.reason.contains("retention_until") == true)
            #expect(try await bucket.list(prefix: "\(branch)/backups/").count == 6, "a dry run deletes nothing")

            try await pruner.prune()
            #expect(try await bucket.list(prefix: "\(branch)/backups/").map(\.key) == [keys[5], keys[4], keys[3], keys[2], keys[1], keys[0]]
                .filter { $0 != keys[3] && $0 != keys[5] }.sorted())
            #expect(try await bucket.list(prefix: "\(branch)/metrics/").count == 1, "only dumps are pruned")
            let status = try await client.scalar("SELECT status FROM backup_history WHERE id = \(hundred)", as: String.self)
            #expect(status == "expired")
        }
    }

    @Test func whenEveryDumpIsOldTheNewestMinimumIsKept() async throws {
        try await setUp(ages: [100, 101, 102, 103, 104]) { pruner, bucket, keys, _, settings in
            try await pruner.prune()
            #expect(try await bucket.list(prefix: "\(settings.branch.id)/backups/").map(\.key) == Array(keys.prefix(3)).sorted(),
                    "the three newest stay, whatever their age")
        }
    }
}
