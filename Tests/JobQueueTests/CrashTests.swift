import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// Real worker processes, killed for real.
@Suite struct CrashTests {
    @Test func aWorkerKilledInsideItsCompletingTransactionLeavesNoEffectAndTheJobRunsOnceMore() async throws {
        let queue = TestDatabase.uniqueQueue("crash")
        let marker = "crash-\(UUID().uuidString)"
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(try NewJob(
                TestKinds.InsertEffectJob.self, args: .init(marker: marker, holdMilliseconds: 600_000, holdOnAttempt: 1),
                queue: queue))
            let doomed = try ChildProcess(["worker", "--queues", queue, "--no-maintenance", "--heartbeat-interval", "250ms"], executable: ChildProcess.testWorker)

            // Wait until the child has inserted its effect and holds the transaction open.
            try await eventually(timeout: .seconds(30), "effect inserted in an open transaction") {
                // The child takes an advisory lock on the marker after its INSERT, in the same
                // transaction: while we cannot take it, that transaction is open.
                let free = try await client.scalar("SELECT pg_try_advisory_xact_lock(hashtext(\(marker)))", as: Bool.self) ?? true
                let state = try await store.job(job.id)?.state
                return !free && state == .running
            }
            doomed.kill(SIGKILL)
            #expect(try await doomed.waitForExit() != 0)

            // The transaction died with the process: no effect.
            try await eventually("backend gone") {
                try await client.scalar("SELECT count(*)::int FROM nightshift_test_effects WHERE marker = \(marker)", as: Int.self) == 0
            }
            // The rescuer returns the job once its heartbeat is stale.
            var rescuerConfiguration = Rescuer.Configuration()
            rescuerConfiguration.staleAfter = .seconds(3)
            rescuerConfiguration.queues = [queue]
            let rescuer = Rescuer(configuration: rescuerConfiguration, store: store, logger: TestDatabase.logger)
            try await eventually("rescued") { try await rescuer.runOnce().retried.contains(job.id) }
            let rescued = try #require(try await store.job(job.id))
            #expect(rescued.state == .retryable)
            #expect(rescued.errors.last?.error.hasPrefix("rescued: worker ") == true)

            // A second real worker runs it to success.
            // Promote it here: test workers run no maintenance, so they touch only their own queue.
            #expect(try await store.promoteDueJobs(queues: [queue]) == 1)
            let survivor = try ChildProcess(["worker", "--queues", queue, "--heartbeat-interval", "250ms", "--no-maintenance"], executable: ChildProcess.testWorker)
            try await eventually(timeout: .seconds(30), "job succeeded") { try await store.job(job.id)?.state == .succeeded }
            survivor.kill(SIGTERM)
            #expect(try await survivor.waitForExit() == 0, "SIGTERM is a clean exit: \(survivor.log)")

            #expect(try await client.scalar("SELECT count(*)::int FROM nightshift_test_effects WHERE marker = \(marker)", as: Int.self) == 1)
            #expect(try await client.scalar("SELECT attempt FROM nightshift_test_effects WHERE marker = \(marker)", as: Int.self) == 2)
            #expect(try await store.job(job.id)?.attempt == 2)
        }
    }

    @Test func sigtermHandsRunningJobsBackAndExitsZero() async throws {
        let queue = TestDatabase.uniqueQueue("sigterm")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 600_000), queue: queue))
            let worker = try ChildProcess(["worker", "--queues", queue, "--shutdown-grace", "300ms", "--heartbeat-interval", "250ms", "--no-maintenance"], executable: ChildProcess.testWorker)
            try await eventually(timeout: .seconds(30), "running") { try await store.job(job.id)?.state == .running }
            worker.kill(SIGTERM)
            #expect(try await worker.waitForExit() == 0, "\(worker.log)")
            let record = try #require(try await store.job(job.id))
            #expect(record.state == .available)
            #expect(record.attempt == 0)
            #expect(record.errors.isEmpty)
        }
    }

    @Test func aWorkerRefusesAnUnmigratedDatabaseWithAClearMessage() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let worker = try ChildProcess(["worker"], environment: ["DATABASE_URL": url.connectionString])
            #expect(try await worker.waitForExit() != 0)
            #expect(worker.log.contains("has never been migrated") && worker.log.contains("nightshift migrate"))
        }
    }

    @Test func anUnreachableDatabaseGivesOneLineWithoutThePassword() async throws {
        let worker = try ChildProcess(["queue", "stats"], environment: [
            "DATABASE_URL": "postgres://app:topsecret@127.0.0.1:1/nightshift?sslmode=disable"
        ])
        #expect(try await worker.waitForExit() != 0)
        #expect(worker.log.contains("cannot connect to postgres://app:***@127.0.0.1:1/nightshift"))
        #expect(!worker.log.contains("topsecret"))
    }
}
