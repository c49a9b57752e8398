import Database
import Foundation
@testable import JobQueue
import PostgresNIO
import Testing
import TestSupport

@Suite struct MaintenanceTests {
    @Test func theRescuerReturnsJobsWhoseWorkerStoppedHeartbeating() async throws {
        let queue = TestDatabase.uniqueQueue("rescue")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let silent = Date().addingTimeInterval(-600)
            let retried = try await JobFactory.insert(client, queue: queue, state: .running, lockedBy: "gone/1", heartbeatAt: silent)
            let lastTry = try await JobFactory.insert(client, queue: queue, state: .running, maxAttempts: 1, lockedBy: "gone/1", heartbeatAt: silent)
            let fresh = try await JobFactory.insert(client, queue: queue, state: .running, lockedBy: "gone/1")
            var configuration = Rescuer.Configuration()
            configuration.queues = [queue]
            let rescuer = Rescuer(configuration: configuration, store: store, logger: TestDatabase.logger)
            let result = try await rescuer.runOnce()
            #expect(result.retried.contains(retried))
            #expect(result.discarded.contains(lastTry))
            #expect(!result.retried.contains(fresh) && !result.discarded.contains(fresh))
            let record = try #require(try await store.job(retried))
            #expect(record.state == .retryable)
            #expect(record.errors.last?.error == "rescued: worker gone/1 stopped heartbeating")
            #expect(try await store.job(fresh)?.state == .running)
        }
    }

    @Test func aLateCompletionFromARescuedAttemptIsFencedOff() async throws {
        let queue = TestDatabase.uniqueQueue("fence")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            let first = try #require(try await store.claim(queues: [queue], limit: 1, worker: "slow/1").first)
            // An hour later, the slow worker has not heartbeated.
            _ = try await store.rescueStuckJobs(staleAfter: .seconds(30), queues: [queue], now: Date().addingTimeInterval(3600))
            _ = try await store.promoteDueJobs(queues: [queue])
            let second = try #require(try await store.claim(queues: [queue], limit: 1, worker: "fast/2").first)
            #expect(second.attempt == first.attempt + 1)

            // The slow worker wakes up and tries to finish attempt 1: every write is refused.
            let stale = AttemptRef(id: job.id, attempt: first.attempt)
            #expect(try await store.markSucceeded([stale]) == [stale])
            #expect(try await store.markFailed(stale, error: "late", retryDelay: .seconds(1), discard: false, worker: "slow/1") == nil)
            #expect(try await store.heartbeat([stale]).alive.isEmpty)
            #expect(try await store.job(job.id)?.state == .running)

            // Attempt 2 completes normally.
            #expect(try await store.markSucceeded([AttemptRef(id: job.id, attempt: second.attempt)]).isEmpty)
            #expect(try await store.job(job.id)?.state == .succeeded)
        }
    }

    @Test func theTransactionalEffectOfAFencedAttemptRollsBack() async throws {
        let queue = TestDatabase.uniqueQueue("txfence")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let marker = "fenced-\(UUID().uuidString)"
            let job = try await store.enqueue(try NewJob(TestKinds.InsertEffectJob.self, args: .init(marker: marker), queue: queue))
            let first = try #require(try await store.claim(queues: [queue], limit: 1, worker: "slow/1").first)
            // Someone cancels it while it runs, then the handler tries to complete.
            #expect(try await store.cancel(job.id) == .cancelRequested)
            try await JobFactory.mark([job.id], .cancelled, on: client)
            let context = JobContext(job: first, logger: TestDatabase.logger, client: client, store: store)
            await #expect(throws: JobFenced.self) {
                try await TestKinds.InsertEffectJob().run(.init(marker: marker), context: context)
            }
            #expect(try await client.scalar("SELECT count(*)::int FROM nightshift_test_effects WHERE marker = \(marker)", as: Int.self) == 0)
        }
    }

    @Test func thePromoterMakesDueJobsAvailable() async throws {
        let queue = TestDatabase.uniqueQueue("promote")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let due = try await store.enqueue(NewJob(kind: "noop", queue: queue, runAt: Date().addingTimeInterval(60)))
            let later = try await store.enqueue(NewJob(kind: "noop", queue: queue, runAt: Date().addingTimeInterval(3600)))
            var configuration = Promoter.Configuration()
            configuration.queues = [queue]
            // Two minutes from now, the first is due and the second is not.
            let result = try await Promoter(configuration: configuration, store: store, logger: TestDatabase.logger)
                .runOnce(now: Date().addingTimeInterval(120))
            #expect(result.promoted >= 1)
            #expect(try await store.job(due.id)?.state == .available)
            #expect(try await store.job(later.id)?.state == .scheduled)
        }
    }

    @Test func thePrunerDeletesOldFinishedJobsByState() async throws {
        let queue = TestDatabase.uniqueQueue("prune")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var ids: [String: Int64] = [:]
            for (name, state, age) in [
                ("oldSucceeded", JobState.succeeded, 31.0), ("newSucceeded", .succeeded, 29), ("oldCancelled", .cancelled, 31),
                ("oldDiscarded", .discarded, 91), ("youngDiscarded", .discarded, 60), ("oldRunning", .running, 400),
            ] {
                ids[name] = try await JobFactory.insert(client, queue: queue, state: state,
                                                        finishedAt: Date().addingTimeInterval(-age * 86_400))
            }
            var configuration = Pruner.Configuration()
            configuration.batchSize = 2
            _ = try await Pruner(configuration: configuration, store: store, logger: TestDatabase.logger).runOnce()
            let left = try await store.jobs(JobFilter(queue: queue, limit: 100)).map(\.id)
            #expect(Set(left) == Set([ids["newSucceeded"]!, ids["youngDiscarded"]!, ids["oldRunning"]!]))
        }
    }
}
