import Database
import Foundation
import JobQueue
import NightshiftCore
import PostgresNIO
import Testing
import TestSupport

@Suite struct WorkerTests {
    @Test func fourWorkersRunFiveThousandJobsExactlyOnceEach() async throws {
        let queue = TestDatabase.uniqueQueue("excl")
        let total = 5_000
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let jobs = try (0..<total).map {
                try NewJob(TestKinds.InsertEffectJob.self, args: .init(marker: "\(queue)-\($0)"), queue: queue)
            }
            try await store.enqueueBatch(jobs)
            // Four workers, each with its own connection pool, as four processes would have.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<4 {
                    group.addTask {
                        try await TestDatabase.withClient(maximumConnections: 6) { own in
                            var configuration = WorkerHarness.configuration(queue: queue, concurrency: 20)
                            configuration.workerID = "test/\(queue)/\(index)"
                            let harness = try WorkerHarness(client: own, configuration: configuration, promoter: false)
                            try await eventually(timeout: .seconds(120), "all jobs finished") {
                                try await client.scalar("""
                                    SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state <> 'succeeded'
                                    """, as: Int.self) == 0
                            }
                            try await harness.stop()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let effects = try await client.scalar("""
                SELECT count(*)::int FROM nightshift_test_effects e JOIN jobs j ON j.id = e.job_id WHERE j.queue = \(queue)
                """, as: Int.self)
            let distinct = try await client.scalar("""
                SELECT count(DISTINCT e.job_id)::int FROM nightshift_test_effects e JOIN jobs j ON j.id = e.job_id
                WHERE j.queue = \(queue)
                """, as: Int.self)
            let workersUsed = try await client.scalar("""
                SELECT count(DISTINCT locked_by)::int FROM jobs WHERE queue = \(queue)
                """, as: Int.self)
            #expect(effects == total, "each job ran exactly once")
            #expect(distinct == total, "no job lost")
            #expect(try await client.scalar("SELECT max(attempt) FROM jobs WHERE queue = \(queue)", as: Int.self) == 1)
            #expect((workersUsed ?? 0) >= 2, "work was shared")
        }
    }

    @Test func failuresRetryWithBackoffThenDiscardWithAnErrorPerAttempt() async throws {
        let queue = TestDatabase.uniqueQueue("retry")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 99), queue: queue, maxAttempts: 3))
            let recovers = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 2), queue: queue, maxAttempts: 5))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue))
            try await eventually("job discarded") { try await store.job(job.id)?.state == .discarded }
            try await eventually("job recovered") { try await store.job(recovers.id)?.state == .succeeded }
            try await harness.stop()

            let record = try #require(try await store.job(job.id))
            #expect(record.attempt == 3)
            #expect(record.errors.map(\.attempt) == [1, 2, 3])
            #expect(record.errors.allSatisfy { $0.error == "test failure on attempt \($0.attempt)" && $0.worker == "test/\(queue)" })
            #expect(record.lastError == "test failure on attempt 3")
            #expect(record.finishedAt != nil)
            let recovered = try #require(try await store.job(recovers.id))
            #expect(recovered.attempt == 3)
            #expect(recovered.errors.count == 2)
        }
    }

    @Test func aFailedAttemptWaitsForItsBackoff() async throws {
        let queue = TestDatabase.uniqueQueue("backoff")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 99), queue: queue))
            var configuration = WorkerHarness.configuration(queue: queue)
            configuration.retryPolicy = RetryPolicy(base: .seconds(600), cap: .seconds(600), jitter: 0)
            let harness = try WorkerHarness(client: client, configuration: configuration)
            try await eventually("job retryable") { try await store.job(job.id)?.state == .retryable }
            try await harness.stop()
            // From the moment the failure was recorded (its `at`), not from the claim: the
            // handler's own time (seconds on a loaded machine) is not part of the backoff.
            let wait = try await client.scalar("""
                SELECT extract(epoch FROM run_at - (errors -> -1 ->> 'at')::timestamptz)::float8 FROM jobs WHERE id = \(job.id)
                """, as: Double.self)
            #expect((599.9...600.1).contains(wait ?? 0), "\(wait ?? 0)")
        }
    }

    @Test func unknownKindsAndBadArgumentsAreDiscardedAtOnce() async throws {
        let queue = TestDatabase.uniqueQueue("bad")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let unknown = try await store.enqueue(NewJob(kind: "no-such-kind", queue: queue))
            let badArgs = try await store.enqueue(NewJob(kind: TestKinds.SleepJob.kind, args: #"{"milliseconds": "soon"}"#, queue: queue))
            let missing = try await store.enqueue(NewJob(kind: TestKinds.FailJob.kind, args: "{}", queue: queue))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue))
            for id in [unknown.id, badArgs.id, missing.id] {
                try await eventually("job \(id) discarded") { try await store.job(id)?.state == .discarded }
            }
            try await harness.stop()
            #expect(try await store.job(unknown.id)?.lastError?.contains("unknown job kind 'no-such-kind'") == true)
            #expect(try await store.job(badArgs.id)?.lastError?.contains("field 'milliseconds' should be Int") == true)
            #expect(try await store.job(missing.id)?.lastError?.contains("missing field 'failTimes'") == true)
            for id in [unknown.id, badArgs.id, missing.id] {
                #expect(try await store.job(id)?.attempt == 1, "discarded on the first attempt, no retry loop")
            }
        }
    }

    @Test func anIdleWorkerWakesOnNotifyLongBeforeItsPollInterval() async throws {
        let queue = TestDatabase.uniqueQueue("notify")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var configuration = WorkerHarness.configuration(queue: queue)
            configuration.pollInterval = .seconds(60)
            let harness = try WorkerHarness(client: client, configuration: configuration, promoter: false)
            await harness.worker.listening.wait()
            // The first job may be found by the worker's first look; once it is done the worker
            // is idle with a 60 s poll, so the second can only start quickly through NOTIFY.
            let warmUp = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            try await eventually(timeout: .seconds(10), "first job done") { try await store.job(warmUp.id)?.state == .succeeded }
            let job = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            try await eventually(timeout: .seconds(10), "job done") { try await store.job(job.id)?.state == .succeeded }
            try await harness.stop()
            let latency = try await client.scalar("""
                SELECT extract(epoch FROM attempted_at - created_at)::float8 FROM jobs WHERE id = \(job.id)
                """, as: Double.self)
            #expect((latency ?? 99) < 2.0, "started \(latency ?? -1) s after enqueue; poll interval is 60 s")
        }
    }

    @Test func gracefulShutdownLetsShortJobsFinishAndHandsLongOnesBack() async throws {
        let queue = TestDatabase.uniqueQueue("shutdown")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            // The short job must still be running when the test sees both running, even on a
            // machine busy with the other tests: 2 s is ample for that and well inside the grace.
            let short = try await store.enqueue(try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 2_000), queue: queue))
            let long = try await store.enqueue(try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 600_000), queue: queue))
            var configuration = WorkerHarness.configuration(queue: queue)
            configuration.shutdownGracePeriod = .seconds(6)
            let harness = try WorkerHarness(client: client, configuration: configuration)
            try await eventually("both running") {
                try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'running'", as: Int.self) == 2
            }
            try await harness.stop()
            #expect(try await store.job(short.id)?.state == .succeeded)
            let handedBack = try #require(try await store.job(long.id))
            #expect(handedBack.state == .available)
            #expect(handedBack.attempt == 0, "a handed-back attempt is not counted")
            #expect(handedBack.errors.isEmpty)
        }
    }

    @Test func cancellingARunningJobStopsItsHandlerAndEndsCancelled() async throws {
        let queue = TestDatabase.uniqueQueue("cancel")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let running = try await store.enqueue(try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 600_000), queue: queue))
            let waiting = try await store.enqueue(try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 1), queue: queue, runAt: Date().addingTimeInterval(3600)))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue))
            try await eventually("running") { try await store.job(running.id)?.state == .running }
            #expect(try await store.cancel(running.id) == .cancelRequested)
            #expect(try await store.cancel(waiting.id) == .cancelled)
            try await eventually(timeout: .seconds(10), "cancelled") { try await store.job(running.id)?.state == .cancelled }
            try await harness.stop()
            #expect(try await store.job(waiting.id)?.state == .cancelled)
            #expect(try await store.cancel(running.id) == .alreadyFinished(.cancelled))
            #expect(try await store.retry(running.id) == .retried)
            #expect(try await store.job(running.id)?.state == .available)
        }
    }

    @Test func anAttemptPastItsTimeoutIsCancelledAndCountsAsAFailure() async throws {
        let queue = TestDatabase.uniqueQueue("timeout")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 600_000), queue: queue, maxAttempts: 1))
            var configuration = WorkerHarness.configuration(queue: queue)
            configuration.defaultJobTimeout = .milliseconds(300)
            let harness = try WorkerHarness(client: client, configuration: configuration)
            try await eventually("discarded after timeout") { try await store.job(job.id)?.state == .discarded }
            try await harness.stop()
            #expect(try await store.job(job.id)?.lastError?.contains("timed out after") == true)
        }
    }
}
