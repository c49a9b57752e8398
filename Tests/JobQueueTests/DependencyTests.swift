import Foundation
import JobQueue
import NightshiftCore
import PostgresNIO
import Testing
import TestSupport

/// Jobs that wait for other jobs (issue 25), against the real database and real workers.
@Suite struct DependencyTests {
    @Test func aChainWhoseFirstJobIsKilledMidRunRunsItsDependentOnceAfterTheRescue() async throws {
        let queue = TestDatabase.uniqueQueue("chain")
        let (first, second) = ("chain-a-\(UUID().uuidString)", "chain-b-\(UUID().uuidString)")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let a = try await store.enqueue(try NewJob(TestKinds.InsertEffectJob.self,
                                                       args: .init(marker: first, holdMilliseconds: 600_000, holdOnAttempt: 1), queue: queue))
            var dependent = try NewJob(TestKinds.InsertEffectJob.self, args: .init(marker: second), queue: queue)
            dependent.dependsOn = [.id(a.id)]
            let b = try await store.enqueue(dependent)
            #expect(b.state == .pending)
            #expect(try await store.job(b.id)?.dependsOn == [a.id])

            let doomed = try ChildProcess(["worker", "--queues", queue, "--no-maintenance", "--heartbeat-interval", "250ms"],
                                          executable: ChildProcess.testWorker)
            try await eventually(timeout: .seconds(30), "the first job holds its transaction open") {
                let free = try await client.scalar("SELECT pg_try_advisory_xact_lock(hashtext(\(first)))", as: Bool.self) ?? true
                let state = try await store.job(a.id)?.state
                return !free && state == .running
            }
            #expect(try await store.job(b.id)?.state == .pending, "the dependent waits while its dependency runs")
            doomed.kill(SIGKILL)
            _ = try await doomed.waitForExit()

            var configuration = Rescuer.Configuration()
            configuration.staleAfter = .seconds(3)
            configuration.queues = [queue]
            let rescuer = Rescuer(configuration: configuration, store: store, logger: TestDatabase.logger)
            try await eventually("rescued") { try await rescuer.runOnce().retried.contains(a.id) }
            #expect(try await store.job(b.id)?.state == .pending, "a rescued dependency is not finished")
            #expect(try await store.promoteDueJobs(queues: [queue]) == 1)

            let survivor = try ChildProcess(["worker", "--queues", queue, "--no-maintenance", "--heartbeat-interval", "250ms"],
                                            executable: ChildProcess.testWorker)
            try await eventually(timeout: .seconds(30), "both succeeded") {
                try await store.job(b.id)?.state == .succeeded
            }
            survivor.kill(SIGTERM)
            _ = try await survivor.waitForExit()
            let done = try #require(try await store.job(a.id))
            let after = try #require(try await store.job(b.id))
            #expect(done.state == .succeeded && done.attempt == 2)
            #expect(after.attempt == 1, "the dependent ran once")
            #expect(try #require(after.attemptedAt) >= (try #require(done.finishedAt)), "and after its dependency finished")
            #expect(try await client.scalar("SELECT count(*)::int FROM nightshift_test_effects WHERE marker = \(second)", as: Int.self) == 1)
        }
    }

    @Test func aDiscardedDependencyCancelsItsDependentsWithTheReasonUnlessTheyRunAnyway() async throws {
        let queue = TestDatabase.uniqueQueue("dep-fail")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let a = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 5), queue: queue, maxAttempts: 1))
            var waiting = try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 1), queue: queue)
            waiting.dependsOn = [.id(a.id)]
            let cancelled = try await store.enqueue(waiting)
            var further = try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 1), queue: queue)
            further.dependsOn = [.id(cancelled.id)]
            let chained = try await store.enqueue(further)
            waiting.onDependencyFailure = .run
            let anyway = try await store.enqueue(waiting)

            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue))
            try await eventually(timeout: .seconds(30), "the run-anyway job ran") { try await store.job(anyway.id)?.state == .succeeded }
            try await harness.stop()
            #expect(try await store.job(a.id)?.state == .discarded)
            let gone = try #require(try await store.job(cancelled.id))
            #expect(gone.state == .cancelled && gone.attempt == 0)
            #expect(gone.lastError?.hasPrefix("cancelled: dependency \(a.id) (test-fail) was discarded: ") == true, "\(gone.lastError ?? "")")
            #expect(try await store.job(chained.id)?.lastError?.hasPrefix("cancelled: dependency \(cancelled.id) (test-sleep) was cancelled") == true,
                    "the cancel goes down the chain")

            // Retrying the dependency brings its dependent back to wait for it.
            #expect(try await store.retry(a.id) == .retried)
            #expect(try await store.job(cancelled.id)?.state == .pending)
        }
    }

    @Test func aJobCanOnlyWaitForJobsThatExistAndOneWhoseDependenciesSucceededIsAvailableAtOnce() async throws {
        let queue = TestDatabase.uniqueQueue("dep-enqueue")
        let key = "dep-key-\(UUID().uuidString)"
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var orphan = NewJob(kind: "noop", queue: queue)
            orphan.dependsOn = [.id(9_000_000_000)]
            await #expect(throws: InvalidInput.self) { try await store.enqueue(orphan) }
            orphan.dependsOn = [.uniqueKey(key)]
            do {
                _ = try await store.enqueue(orphan)
                Issue.record("a key no job holds was accepted")
            } catch let error as InvalidInput {
                #expect(error.field == "depends_on" && error.message.contains(key), "\(error.message)")
            }
            let done = try await JobFactory.insert(client, queue: queue, state: .succeeded, uniqueKey: key)
            let ready = try await store.enqueue(orphan)
            #expect(ready.state == .available, "its one dependency (by unique key) has succeeded")
            #expect(try await store.job(ready.id)?.dependsOn == [done])
        }
    }
}
