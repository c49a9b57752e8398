import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// Pausing a queue (issue 25), seen by real worker processes.
@Suite struct PauseTests {
    @Test func aPauseIsSeenByThreeWorkerProcessesAndNoJobStartsAfterItsCommit() async throws {
        let queue = TestDatabase.uniqueQueue("pause")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let jobs = try (0..<400).map { _ in try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 40), queue: queue) }
            try await store.enqueueBatch(jobs)
            let workers = try (1...3).map { _ in
                try ChildProcess(["worker", "--queues", "\(queue)=4", "--no-maintenance", "--heartbeat-interval", "250ms"],
                                 executable: ChildProcess.testWorker)
            }
            defer { for worker in workers { worker.kill(SIGKILL) } }
            try await eventually(timeout: .seconds(60), "each of the three workers has run jobs") {
                try await client.scalar("""
                    SELECT count(DISTINCT locked_by)::int FROM jobs WHERE queue = \(queue) AND state = 'succeeded'
                    """, as: Int.self) == 3
            }
            let (pause, isNew) = try await store.pause(queue: queue, by: "test", reason: "maintenance")
            #expect(isNew && pause.reason == "maintenance")
            // A statement after the pause's commit: its clock is after the commit.
            let committed = try #require(try await client.scalar("SELECT clock_timestamp()", as: Date.self))
            // Enqueues still go in.
            #expect(try await store.enqueue(try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 1), queue: queue)).inserted)
            // Running jobs finish; every worker's next claim, which comes with its completions, finds nothing.
            try await eventually(timeout: .seconds(30), "the running jobs finished") {
                try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'running'", as: Int.self) == 0
            }
            let waiting = try #require(try await client.scalar(
                "SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'available'", as: Int.self))
            #expect(waiting > 0, "jobs were left to claim")
            let startedAfter = try await client.scalar("""
                SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND attempted_at > \(committed)
                """, as: Int.self)
            #expect(startedAfter == 0, "no job of the paused queue started after the pause's commit")
            #expect(try await store.pausedQueues().contains { $0.queue == queue && $0.pausedBy == "test" })
            // A second pause keeps the first.
            #expect(try await store.pause(queue: queue, by: "other", reason: nil).isNew == false)

            #expect(try await store.resume(queue: queue)?.reason == "maintenance")
            try await eventually(timeout: .seconds(60), "resumed: every job ran") {
                try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state <> 'succeeded'", as: Int.self) == 0
            }
            #expect(try await store.resume(queue: queue) == nil, "not paused any more")
            for worker in workers { worker.kill(SIGTERM) }
            for worker in workers { #expect(try await worker.waitForExit() == 0, "\(worker.log)") }
        }
    }
}
