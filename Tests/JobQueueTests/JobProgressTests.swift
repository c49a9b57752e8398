import Foundation
@testable import JobQueue
import NightshiftCore
import PostgresNIO
import Testing
import TestSupport

/// A running job's progress reaches `jobs.progress`: the latest report wins, the last one is
/// written before the attempt finishes, and nothing is written once the attempt has ended.
@Suite struct JobProgressTests {
    @Test func theLatestReportIsStoredWithItsAttemptAndAnEndedAttemptTakesNoMore() async throws {
        let queue = TestDatabase.uniqueQueue("progress")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            let claimed = try #require(try await store.claim(queues: [queue], limit: 1, worker: "progress/1").first)
            let context = JobContext(job: claimed, logger: TestDatabase.logger, client: client, store: store)
            // Many reports inside one interval: the first is written at once, the last after.
            for done in stride(from: 0, through: 900, by: 100) {
                context.progress.report(WorkProgress(done: Int64(done), total: 900, unit: .records, step: "2025-01"))
            }
            await context.flushProgress()
            let stored = try #require(try await store.job(job.id)?.progress)
            #expect(stored.progress == WorkProgress(done: 900, total: 900, unit: .records, step: "2025-01"))
            #expect(stored.attempt == claimed.attempt)
            #expect(abs(stored.at.timeIntervalSinceNow) < 60)
            let raw = try await client.scalar("SELECT progress->>'done' FROM jobs WHERE id = \(job.id)", as: String.self)
            #expect(raw == "900", "plain JSON an operator can read with SQL")

            #expect(try await store.markSucceeded([AttemptRef(id: job.id, attempt: claimed.attempt)]).isEmpty)
            let late = try await store.recordProgress(AttemptRef(id: job.id, attempt: claimed.attempt),
                                                      WorkProgress(done: 1, total: 900, unit: .records))
            #expect(!late, "an ended attempt's progress is refused")
            #expect(try await store.job(job.id)?.progress?.progress.done == 900)
        }
    }

    @Test func progressReadsAsPeopleSayIt() {
        #expect(WorkProgress(done: 120_000, total: 400_000, unit: .records).text == "120,000 of 400,000 records (30 %)")
        #expect(WorkProgress(done: 1_200_000_000, total: 3_000_000_000, unit: .bytes, estimated: true).text == "1.2 GB of ~3.0 GB (40 %)")
        #expect(WorkProgress(done: 880_000_000, unit: .bytes).text == "880.0 MB")
        #expect(WorkProgress(done: 10, total: 0, unit: .records).fraction == nil)
    }
}
