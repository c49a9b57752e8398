import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// A handler that says "not yet" (issue 25), with a real worker and PostgreSQL.
@Suite struct SnoozeTests {
    @Test func aSnoozedJobRunsAgainAndSucceedsWithoutSpendingAnAttemptOrAnError() async throws {
        let queue = TestDatabase.uniqueQueue("snooze")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            // One attempt only: were a snooze counted, the second run could not happen.
            let job = try await store.enqueue(try NewJob(TestKinds.SnoozeJob.self, args: .init(times: 2, milliseconds: 100),
                                                         queue: queue, maxAttempts: 1))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue))
            try await eventually(timeout: .seconds(30), "the job succeeded after its snoozes") {
                try await store.job(job.id)?.state == .succeeded
            }
            try await harness.stop()
            let done = try #require(try await store.job(job.id))
            #expect(done.attempt == 1 && done.maxAttempts == 1, "the two snoozes did not count: attempt \(done.attempt) of \(done.maxAttempts)")
            #expect(done.snoozes == 2 && done.snoozeReason == "not yet (2 of 2)")
            #expect(done.errors.isEmpty && done.lastError == nil, "nothing written to errors: \(done.errors)")
        }
    }

    @Test func aSnoozeGoesBackToScheduledAtNowPlusItsDelayFenced() async throws {
        let queue = TestDatabase.uniqueQueue("snooze-fence")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let id = try await JobFactory.insert(client, kind: "noop", queue: queue, state: .running, attempt: 3)
            #expect(try await !store.markSnoozed(AttemptRef(id: id, attempt: 2), delay: .seconds(600), reason: "stale attempt"),
                    "an attempt that is not the running one cannot snooze the job")
            #expect(try await store.markSnoozed(AttemptRef(id: id, attempt: 3), delay: .seconds(600), reason: "waiting for the dump"))
            let snoozed = try #require(try await store.job(id))
            #expect(snoozed.state == .scheduled && snoozed.attempt == 2 && snoozed.lockedBy == nil && snoozed.heartbeatAt == nil)
            let ahead = snoozed.runAt.timeIntervalSinceNow
            #expect(ahead > 590 && ahead < 610, "run_at is now + 10 min: \(ahead)")
        }
    }
}
