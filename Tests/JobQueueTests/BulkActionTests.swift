import Foundation
import JobQueue
import NightshiftCore
import PostgresNIO
import Testing
import TestSupport

/// Bulk retry and cancel (issue 25) against the real database.
@Suite struct BulkActionTests {
    @Test func aBulkRetryOf5000DiscardedJobsRunsInBatchesOf1000AndKeepsTheirHistory() async throws {
        let queue = TestDatabase.uniqueQueue("bulk")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            try await client.query("""
                INSERT INTO jobs (kind, queue, state, attempt, max_attempts, finished_at, last_error, errors)
                SELECT 'prune-cloud', \(queue), 'discarded', 3, 3, now() - interval '1 hour', 'bucket down',
                       '[{"at": "2026-12-06T01:00:00Z", "attempt": 3, "worker": "w/1", "error": "bucket down"}]'::jsonb
                FROM generate_series(1, 5000)
                """, logger: TestDatabase.logger)
            // Not matched: another kind, and a job of the kind that is not discarded.
            let other = try await JobFactory.insert(client, kind: "push-metrics", queue: queue, state: .discarded)
            let running = try await JobFactory.insert(client, kind: "prune-cloud", queue: queue, state: .running)
            let selection = try JobSelection(.retry, states: [.discarded], kinds: ["prune-cloud"], queues: [queue])

            let preview = try await store.preview(selection)
            #expect(preview.count == 5000 && preview.sample.count == 20 && preview.sample.allSatisfy { $0.kind == "prune-cloud" })
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'available'", as: Int.self) == 0,
                    "a preview changes nothing")

            #expect(try await store.perform(selection).changed == 5000)
            let counts = try await client.query("""
                SELECT count(*)::int, count(DISTINCT xmin::text)::int, min(max_attempts), min(jsonb_array_length(errors))
                FROM jobs WHERE queue = \(queue) AND kind = 'prune-cloud' AND id <> \(running)
                  AND state = 'available' AND finished_at IS NULL
                """, logger: TestDatabase.logger).decode((Int, Int, Int, Int).self)
            for try await (retried, transactions, maxAttempts, errors) in counts {
                #expect(retried == 5000)
                #expect(transactions == 5, "one transaction per 1,000 jobs: \(transactions)")
                #expect(maxAttempts == 4 && errors == 1, "one more attempt; the error history kept")
            }
            #expect(try await store.job(other)?.state == .discarded)
            #expect(try await store.job(running)?.state == .running)
            #expect(try await store.perform(selection).changed == 0, "nothing left to retry")
        }
    }

    @Test func aBulkCancelCancelsTheWaitingJobsItMatchesAndAsksRunningOnesToStop() async throws {
        let queue = TestDatabase.uniqueQueue("bulk-cancel")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let waiting = try await [JobFactory.insert(client, queue: queue), JobFactory.insert(client, queue: queue, state: .scheduled),
                                     JobFactory.insert(client, queue: queue, state: .retryable)]
            let running = try await JobFactory.insert(client, queue: queue, state: .running)
            let done = try await JobFactory.insert(client, queue: queue, state: .succeeded)
            let selection = try JobSelection(.cancel, states: [.available, .scheduled, .retryable, .running], queues: [queue])
            #expect(try await store.perform(selection).changed == 4)
            for id in waiting { #expect(try await store.job(id)?.state == .cancelled) }
            let stopping = try #require(try await store.job(running))
            #expect(stopping.state == .running && stopping.cancelRequestedAt != nil, "its worker is asked to stop")
            #expect(try await store.job(done)?.state == .succeeded)
        }
    }

    @Test func aRetryLeavesAJobWhoseUniqueKeyANewerJobHolds() async throws {
        let queue = TestDatabase.uniqueQueue("bulk-key")
        let key = "bulk-key-\(UUID().uuidString)"
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let old = try await JobFactory.insert(client, queue: queue, state: .discarded, uniqueKey: key)
            let older = try await JobFactory.insert(client, queue: queue, state: .discarded, uniqueKey: key)
            // Two discarded jobs with one key: only the newest comes back.
            let report = try await store.perform(try JobSelection(.retry, queues: [queue]))
            #expect(report.changed == 1)
            #expect(report.skipped == [BulkSkip(id: min(old, older), reason: .uniqueKeyHeld(holder: nil))], "the older one is reported: \(report.skipped)")
            #expect(try await store.job(max(old, older))?.state == .available)
            #expect(try await store.job(min(old, older))?.state == .discarded)
        }
    }

    @Test func aBulkCancelRevisitsRowsAClaimHeldAndReportsOnesThatChangedState() async throws {
        let queue = TestDatabase.uniqueQueue("bulk-held")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var ids: [Int64] = []
            for _ in 0..<10 { ids.append(try await JobFactory.insert(client, queue: queue)) }
            let (held, claimed) = (ids[0], ids[1])
            let batches = Batches()
            try await client.withConnection { claim in
                // A claim's scan holds the two head rows, as a worker's would.
                try await claim.query("BEGIN", logger: TestDatabase.logger)
                try await claim.query("SELECT id FROM jobs WHERE id = ANY(\([held, claimed])::bigint[]) FOR UPDATE", logger: TestDatabase.logger)
                let cancel = Task {
                    try await store.perform(try JobSelection(.cancel, queues: [queue])) { batches.add($0) }
                }
                try await eventually(timeout: .seconds(60), "the revisit waits for the claim's rows") {
                    try await client.scalar("""
                        SELECT count(*)::int FROM pg_stat_activity
                        WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE' AND query LIKE '%id = ANY($5::bigint[])%'
                        """, as: Int.self) ?? 0 > 0
                }
                #expect(batches.all.first?.lockedForLater == 2 && batches.all.first?.changed == 8)
                // The claim takes one of them; the other it lets go.
                try await claim.query("UPDATE jobs SET state = 'running', attempt = 1 WHERE id = \(claimed)", logger: TestDatabase.logger)
                try await claim.query("COMMIT", logger: TestDatabase.logger)
                let report = try await cancel.value
                #expect(report.changed == 9, "none left merely for having been locked")
                #expect(report.skipped == [BulkSkip(id: claimed, reason: .stateChanged(.running))])
            }
            #expect(try await store.job(held)?.state == .cancelled)
            #expect(try await store.job(claimed)?.state == .running)
        }
    }

    @Test func aSelectionOrAPauseOutsideTheLimitsIsRefusedByTheStoreNamingTheField() async throws {
        #expect(throws: InvalidInput(field: "state", "state succeeded: only discarded, cancelled jobs can be retried")) {
            try JobSelection(.retry, states: [.succeeded])
        }
        #expect(try JobSelection(.cancel, states: [.running]).states == [.running], "a cancel may touch running jobs, everywhere")
        #expect(try JobSelection(.cancel).states == [.pending, .available, .scheduled, .retryable])
        #expect(throws: InvalidInput.self) { try JobSelection(.cancel, queues: [String(repeating: "q", count: 129)]) }
        #expect(try JobSelection(.cancel, queues: [String(repeating: "é", count: 128)]).queues.count == 1, "code points, not bytes")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let queue = TestDatabase.uniqueQueue("limits")
            do {
                _ = try await store.pause(queue: queue, by: "test", reason: String(repeating: "r", count: 501))
                Issue.record("a 501-character reason was accepted")
            } catch let error as InvalidInput {
                #expect(error.field == "reason")
            }
            #expect(try await store.pause(queue: queue, by: "test", reason: String(repeating: "r", count: 500)).isNew)
            _ = try await store.resume(queue: queue)
            await #expect(throws: InvalidInput.self) { try await store.pause(queue: "", by: "test", reason: nil) }
        }
    }
}

/// Batch reports as a bulk action hands them over.
final class Batches: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [BulkBatchReport] = []
    func add(_ report: BulkBatchReport) { lock.withLock { reports.append(report) } }
    var all: [BulkBatchReport] { lock.withLock { reports } }
}
