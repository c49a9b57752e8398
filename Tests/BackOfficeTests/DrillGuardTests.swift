@testable import BackOffice
import Database
import Foundation
import JobQueue
import NightshiftCore
import PostgresNIO
import Testing
import TestSupport

/// Issue 34 items 3 and 5: a drill restores only a completed dump and writes no verdict on any
/// other; dump and drill jobs are the branch's their `branch` argument names.
@Suite struct DrillGuardTests {
    func runJob<Kind: JobKind>(_ kind: Kind.Type, _ args: Kind.Args, registry: JobRegistry, client: PostgresClient) async throws -> JobRecord {
        let queue = TestDatabase.uniqueQueue("guard")
        let store = JobStore(client: client, logger: TestDatabase.logger)
        let job = try await store.enqueue(try NewJob(kind, args: args, queue: queue))
        let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
        try await eventually(timeout: .seconds(120), "\(Kind.kind) finished") { [.succeeded, .discarded].contains(try await store.job(job.id)?.state) }
        try await harness.stop()
        return try #require(try await store.job(job.id))
    }

    @Test func aDrillOfADumpStillBeingMadeIsRefusedAndLeavesNoVerdictWhenItCompletes() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let history = fixture.history(client)
                let registry = try fixture.registry(store: fixture.localStore())
                let id = try await history.start(type: .manual, branch: fixture.branch, objectKey: nil,
                                                 localPath: fixture.settings.dumpDirectory.appendingPathComponent("x.dump").path, jobID: nil, attempt: nil)
                // Its dump is alive: the branch's dump lock is held in a second session, as a dump holds it.
                let dumping = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test dump in progress")
                defer { dumping.close() }
                try await dumping.run { _ = try $0.execute("SELECT pg_advisory_lock(hashtext('nightshift-dump:\(fixture.branch)'))") }
                let drill = try await runJob(RestoreDrillJob.self, .init(backupID: id), registry: registry, client: client)
                #expect(drill.state == .discarded && drill.lastError?.contains("backup \(id) is running, it is still being made") == true,
                        "\(drill.lastError ?? "")")
                // Twice, and then the dump completes: still no verdict, the row says completed.
                _ = try await runJob(RestoreDrillJob.self, .init(backupID: id), registry: registry, client: client)
                #expect(try await history.complete(id, sizeBytes: 1, sha256: String(repeating: "0", count: 64), tables: [:]))
                let row = try #require(try await history.record(id))
                #expect(row.status == .completed && row.verificationStatus == nil && row.verifiedAt == nil && row.verificationDetails == nil)
                // A failed one too.
                let failed = try await BackupFactory.insert(client, branch: fixture.branch, status: "failed")
                let refused = try await runJob(RestoreDrillJob.self, .init(backupID: failed), registry: registry, client: client)
                #expect(refused.lastError?.contains("backup \(failed) is failed, only a completed dump can be restored") == true, "\(refused.lastError ?? "")")
                #expect(try await history.record(failed)?.verificationStatus == nil)
            }
        }
    }

    /// Two branches in one database, one worker (of branch A): B's jobs make, name, record and
    /// drill B's dump, and A's stay A's.
    @Test func dumpAndDrillJobsAreTheBranchTheirArgumentNames() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let store = fixture.localStore()
                let registry = try fixture.registry(store: store)
                let branchB = fixture.branch + "-b"
                let dumpB = try await runJob(NightlyDumpJob.self, .init(type: .manual, branch: branchB), registry: registry, client: client)
                #expect(dumpB.state == .succeeded, "\(dumpB.lastError ?? "")")
                let dumpA = try await runJob(NightlyDumpJob.self, .init(type: .manual, branch: fixture.branch), registry: registry, client: client)
                #expect(dumpA.state == .succeeded, "\(dumpA.lastError ?? "")")
                let history = fixture.history(client)
                let rowB = try #require(try await history.latestCompleted(branch: branchB))
                let rowA = try #require(try await history.latestCompleted(branch: fixture.branch))
                #expect(rowB.jobID == dumpB.id && rowA.jobID == dumpA.id)
                #expect(rowB.objectKey?.hasPrefix("\(branchB)/backups/\(branchB)_") == true
                        && URL(fileURLWithPath: rowB.localPath!).lastPathComponent.hasPrefix("\(branchB)_"), "\(rowB)")
                #expect(try await store.head(rowB.objectKey!)?.sha256 == rowB.sha256)

                let drillB = try await runJob(RestoreDrillJob.self, .init(branch: branchB), registry: registry, client: client)
                #expect(drillB.state == .succeeded, "\(drillB.lastError ?? "")")
                #expect(try await history.record(rowB.id)?.verificationStatus == "true")
                #expect(try await history.record(rowA.id)?.verificationStatus == nil, "B's drill drilled B's latest dump, not A's (newer)")

                // A branch argument that could not name a branch is refused when enqueued.
                #expect(throws: InvalidInput.self) { try NightlyDumpJob.validate(.init(branch: "../etc")) }
                #expect(throws: InvalidInput.self) { try RestoreDrillJob.validate(.init(branch: "a/b")) }
            }
        }
    }
}
