import BackOffice
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
