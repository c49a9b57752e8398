import BackOffice
import Database
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

    /// A drill restoring a dump (its in-use lock held in a second session) keeps it through a
    /// prune; the next prune, the drill done, removes it.
    @Test func aPruneLeavesADumpADrillIsRestoringForTheNextPrune() async throws {
        try await setUp(ages: [1, 2, 3, 100]) { pruner, bucket, keys, client, settings in
            let old = try await BackupFactory.insert(client, branch: settings.branch.id, objectKey: keys[3],
                                                     startedAt: Date().addingTimeInterval(-100 * 86_400))
            let drilling = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test drill in progress")
            defer { drilling.close() }
            try await drilling.run { _ = try $0.execute("SELECT pg_advisory_lock_shared(hashtext('nightshift-backup-in-use:\(old)'))") }
            let held = try await pruner.prune()
            #expect(held.delete.isEmpty && held.keep.contains { $0.key == keys[3] && $0.reason.contains("in use by a restore drill") }, "\(held)")
            #expect(try await bucket.head(keys[3]) != nil)
            #expect(try await client.scalar("SELECT status FROM backup_history WHERE id = \(old)", as: String.self) == "completed")
            drilling.close()
            let after = try await pruner.prune()
            let gone = try await bucket.head(keys[3]) == nil
            #expect(after.delete.map(\.key) == [keys[3]] && gone)
            #expect(try await client.scalar("SELECT status FROM backup_history WHERE id = \(old)", as: String.self) == "expired")
        }
    }

    /// The object a failed attempt left is not a dump: it does not take one of the BACKUP_MIN_KEEP places.
    @Test func aFailedAttemptsObjectDoesNotCountTowardTheMinimum() async throws {
        try await setUp(ages: [100, 101, 102, 103]) { pruner, bucket, keys, client, settings in
            try await BackupFactory.insert(client, branch: settings.branch.id, status: "failed", objectKey: keys[0],
                                           startedAt: Date().addingTimeInterval(-100 * 86_400))
            let plan = try await pruner.plan()
            #expect(plan.keep.map(\.key) == [keys[1], keys[2], keys[3]] && plan.delete.map(\.key) == [keys[0]], "\(plan)")
        }
    }

    /// break-office2 8: dumps whose restore drill failed do not count toward BACKUP_MIN_KEEP, and
    /// the newest dump whose drill passed stays whatever its age.
    @Test func dumpsThatFailedTheirDrillDoNotTakeTheMinimumAndTheNewestThatPassedStays() async throws {
        try await setUp(ages: [100, 105, 110, 115, 120]) { pruner, _, keys, client, settings in
            var ids: [Int64] = []
            for (index, key) in keys.enumerated() {
                ids.append(try await BackupFactory.insert(client, branch: settings.branch.id, objectKey: key,
                                                          startedAt: Date().addingTimeInterval(-Double(100 + 5 * index) * 86_400)))
            }
            // The three newest failed their drills; the fourth passed; the fifth was never drilled.
            for id in ids.prefix(3) { try await BackupFactory.recordDrill(client, id: id, tables: ["public.gastos": 3], differing: "public.gastos") }
            try await BackupFactory.recordDrill(client, id: ids[3], tables: ["public.gastos": 3], differing: nil)
            let plan = try await pruner.plan()
            #expect(plan.keep.map(\.key) == [keys[3], keys[4]], "\(plan)")
            #expect(plan.keep.first?.reason.contains("BACKUP_MIN_KEEP") == true, "the passed one counts toward the minimum: \(plan.keep)")
            #expect(Set(plan.delete.map(\.key)) == Set(keys.prefix(3)))
        }
    }
}
