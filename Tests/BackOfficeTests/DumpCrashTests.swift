@testable import BackOffice
import Database
import Foundation
import JobQueue
import ObjectStorage
import PostgresNIO
import Testing
import TestSupport

@Suite struct DumpCrashTests {
    @Test func aWorkerKilledDuringADumpLeavesNoOrphansOnceTheRetryHasRun() async throws {
        try await DumpFixture.with(padding: 64) { fixture in
            try await TestDatabase.withClient { client in
                let queue = TestDatabase.uniqueQueue("killdump")
                let bucket = try await TestObjectStorage.freshBucket("killdump")
                let (endpoint, credentials) = try TestObjectStorage.server()
                let environment = [
                    "DUMP_DATABASE_URL": fixture.database.connectionString, "BACKUP_DIR": fixture.folder.path, "BRANCH_ID": fixture.branch,
                    "BACKUP_S3_ENDPOINT": endpoint.absoluteString, "BACKUP_S3_BUCKET": bucket.configuration.bucket,
                    "BACKUP_S3_ACCESS_KEY": credentials.accessKeyID, "BACKUP_S3_SECRET_KEY": credentials.secretAccessKey,
                    "BACKUP_S3_REGION": TestObjectStorage.region, "ENABLE_METRICS_PUSH_JOB": "false",
                ]
                let store = JobStore(client: client, logger: TestDatabase.logger)
                let job = try await store.enqueue(try NewJob(NightlyDumpJob.self, args: .init(), queue: queue))
                let doomed = try ChildProcess(["worker", "--queues", queue, "--no-maintenance", "--heartbeat-interval", "250ms"],
                                              environment: environment)
                let attemptOne = "nightshift-dump job \(job.id) attempt 1"
                try await eventually(timeout: .seconds(60), "pg_dump running for attempt 1") {
                    try await client.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(attemptOne)", as: Int.self) ?? 0 > 0
                }
                doomed.kill(SIGKILL)
                #expect(try await doomed.waitForExit() != 0)

                var rescuerConfiguration = Rescuer.Configuration()
                rescuerConfiguration.staleAfter = .seconds(2)
                rescuerConfiguration.queues = [queue]
                let rescuer = Rescuer(configuration: rescuerConfiguration, store: store, logger: TestDatabase.logger)
                try await eventually(timeout: .seconds(30), "rescued") { try await rescuer.runOnce().retried.contains(job.id) }
                #expect(try await store.promoteDueJobs(queues: [queue]) == 1)
                let survivor = try ChildProcess(["worker", "--queues", queue, "--no-maintenance", "--heartbeat-interval", "250ms"],
                                                environment: environment)
                try await eventually(timeout: .seconds(180), "the retry completed") { try await store.job(job.id)?.state == .succeeded }
                survivor.kill(SIGTERM)
                #expect(try await survivor.waitForExit() == 0, "\(survivor.log)")

                let rows = try await fixture.history(client).list(branch: fixture.branch).sorted { $0.id < $1.id }
                #expect(rows.map(\.status) == [.failed, .completed] && rows.map(\.attempt) == [1, 2], "one row per attempt, no duplicates")
                #expect(rows.first?.error?.contains("interrupted: attempt 1") == true)
                #expect(try await client.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(attemptOne)", as: Int.self) == 0,
                        "the orphaned pg_dump of attempt 1 was stopped")
                let completed = try #require(rows.last)
                #expect(fixture.dumpFiles() == [URL(fileURLWithPath: completed.localPath!).lastPathComponent], "no temporary or partial file")
                #expect(try await bucket.list(prefix: "\(fixture.branch)/").map(\.key) == [completed.objectKey!], "no orphan object")
                #expect(try await bucket.incompleteUploads(prefix: "\(fixture.branch)/").isEmpty, "no orphan upload")
                #expect(try await bucket.head(completed.objectKey!)?.sha256 == completed.sha256)
            }
        }
    }
}

/// Issue 34 item 2: a dump killed on its last attempt leaves no `running` row, no temporary
/// file and no pg_dump behind.
@Suite struct DumpLastAttemptCrashTests {
    @Test func aWorkerKilledOnTheLastAttemptTakesItsPgDumpWithItAndTheSweepClosesTheRow() async throws {
        try await DumpFixture.with(padding: 96) { fixture in
            try await TestDatabase.withClient { client in
                let queue = TestDatabase.uniqueQueue("lastdump")
                let environment = [
                    "DUMP_DATABASE_URL": fixture.database.connectionString, "BACKUP_DIR": fixture.folder.path, "BRANCH_ID": fixture.branch,
                    "ENABLE_METRICS_PUSH_JOB": "false",
                ]
                let store = JobStore(client: client, logger: TestDatabase.logger)
                let job = try await store.enqueue(try NewJob(NightlyDumpJob.self, args: .init(branch: fixture.branch), queue: queue, maxAttempts: 1))
                let doomed = try ChildProcess(["worker", "--queues", queue, "--no-maintenance", "--heartbeat-interval", "250ms"],
                                              environment: environment)
                let attemptOne = "nightshift-dump job \(job.id) attempt 1"
                try await eventually(timeout: .seconds(60), "pg_dump running") {
                    try await client.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(attemptOne)", as: Int.self) ?? 0 > 0
                }
                doomed.kill(SIGKILL)
                #expect(try await doomed.waitForExit() != 0)
                // No retry comes to stop it: the pg_dump child dies with its worker.
                try await eventually(timeout: .seconds(20), "the orphaned pg_dump is gone without any retry") {
                    try await client.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(attemptOne)", as: Int.self) == 0
                }

                var rescuerConfiguration = Rescuer.Configuration()
                rescuerConfiguration.staleAfter = .seconds(2)
                rescuerConfiguration.queues = [queue]
                let rescuer = Rescuer(configuration: rescuerConfiguration, store: store, logger: TestDatabase.logger)
                try await eventually(timeout: .seconds(30), "discarded") { try await rescuer.runOnce().discarded.contains(job.id) }
                let history = fixture.history(client)
                #expect(try await history.list(branch: fixture.branch).map(\.status) == [.running], "the rescuer does not touch backup_history")
                #expect(fixture.dumpFiles().contains { $0.contains(".tmp-job\(job.id)-a1") }, "the temporary file is there before the sweep")

                let sweeper = DumpSweeper(history: history, store: nil, logger: TestDatabase.logger)
                let swept = try await sweeper.runOnce(branch: fixture.branch)
                let rows = try await history.list(branch: fixture.branch)
                #expect(swept.closed == rows.map(\.id) && rows.map(\.status) == [.failed], "\(swept) \(rows)")
                #expect(rows.first?.error?.contains("interrupted: job \(job.id) attempt 1 stopped before it finished") == true, "\(rows.first?.error ?? "")")
                #expect(fixture.dumpFiles().isEmpty, "no temporary file left: \(fixture.dumpFiles())")
                #expect(try await history.dumpInProgress(branch: fixture.branch) == false, "a drill no longer waits for it")
                // Run again: nothing left to do, and a live dump's row is never touched (below).
                #expect(try await sweeper.runOnce(branch: fixture.branch).closed.isEmpty)
            }
        }
    }

    /// break-dumps 8: a sweep that meets a store outage removes the dead dump's local files
    /// anyway (first), and leaves its row `running` rather than failed with its object
    /// forgotten; the next sweep with the store back removes the object and closes the row.
    @Test func aSweepMeetingAStoreOutageRemovesLocalFilesAndKeepsTheRowForTheNextSweep() async throws {
        let server = try S3TestServer()
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let history = fixture.history(client)
                let bucket = try await TestObjectStorage.freshBucket("sweep", endpoint: server.endpoint, credentials: server.credentials)
                let folder = fixture.settings.dumpDirectory
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let name = DumpName(branch: fixture.branch, at: Date(), in: fixture.settings.branch.timeZone)
                let local = name.localFile(in: folder)
                let id = try await history.start(type: .manual, branch: fixture.branch, objectKey: name.objectKey, localPath: local.path,
                                                 jobID: nil, attempt: nil)
                let temporary = folder.appendingPathComponent(".\(local.lastPathComponent).tmp-job99-a1")
                FileManager.default.createFile(atPath: temporary.path, contents: Data(repeating: 7, count: 1 << 20))
                _ = try await bucket.put(name.objectKey, data: Data("dump".utf8), contentType: "application/octet-stream")
                // The store away: a bucket on a port nothing listens on, one attempt per request.
                var away = bucket.configuration
                away.endpoint = URL(string: "http://127.0.0.1:\(try S3TestServer.freePort())")!
                away.maxAttempts = 1
                let unreachable = S3Store(configuration: away, logger: TestDatabase.logger)
                let first = try await DumpSweeper(history: history, store: unreachable, logger: TestDatabase.logger).runOnce(branch: fixture.branch)
                #expect(first.closed.isEmpty, "not closed while its object may still be there")
                #expect(!FileManager.default.fileExists(atPath: temporary.path), "the temporary file is removed whatever the store does")
                #expect(try await history.record(id)?.status == .running)
                let second = try await DumpSweeper(history: history, store: bucket, logger: TestDatabase.logger).runOnce(branch: fixture.branch)
                #expect(second.closed == [id])
                #expect(try await history.record(id)?.status == .failed)
                #expect(try await bucket.head(name.objectKey) == nil, "its object is removed by the sweep that closed it")
            }
        }
    }

    /// A `running` row whose branch lock is held (a dump in progress) is left alone; once the
    /// holder is gone (a killed `migrate --backup-first` has no job to retry it), it is closed.
    @Test func theSweepLeavesALiveDumpAloneAndClosesAJoblessRowOnceItsProcessIsGone() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let history = fixture.history(client)
                let folder = fixture.settings.dumpDirectory
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let local = folder.appendingPathComponent("\(fixture.branch)_20300301_010203.dump")
                let id = try await history.start(type: .preMigration, branch: fixture.branch, objectKey: nil, localPath: local.path,
                                                 jobID: nil, attempt: nil)
                let temporary = folder.appendingPathComponent(".\(local.lastPathComponent).tmp-pid4242")
                FileManager.default.createFile(atPath: temporary.path, contents: Data("partial".utf8))
                let sweeper = DumpSweeper(history: history, store: nil, logger: TestDatabase.logger)
                // The branch's lock held in a second session: its dump is alive.
                let holder = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test lock holder")
                try await holder.run { _ = try $0.execute("SELECT pg_advisory_lock(hashtext('nightshift-dump:\(fixture.branch)'))") }
                let whileHeld = try await sweeper.runOnce(branch: fixture.branch)
                #expect(whileHeld.closed.isEmpty && whileHeld.alive == [fixture.branch])
                #expect(try await history.record(id)?.status == .running && FileManager.default.fileExists(atPath: temporary.path))
                holder.close()
                try await eventually(timeout: .seconds(10), "closed once the holder is gone") {
                    try await sweeper.runOnce(branch: fixture.branch).closed == [id]
                }
                let row = try #require(try await history.record(id))
                #expect(row.status == .failed && row.error?.contains("the process that made it (pre-migration)") == true, "\(row.error ?? "")")
                #expect(!FileManager.default.fileExists(atPath: temporary.path))
            }
        }
    }
}
