import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// Per-queue limits, and kinds' own limits: per worker, and global (enforced by the database).
@Suite struct KindLimitTests {
    /// The most handler runs (between their `start` and `end` rows) that overlapped, per
    /// `partition` (a SQL expression over `j`, the job): every start is counted against the
    /// runs that contain it.
    func mostAtOnce(_ client: PostgresClient, queue: String, partition: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            WITH runs AS (
                SELECT \(partition) AS part, s.job_id, s.created_at AS started, e.created_at AS ended
                FROM nightshift_test_effects s
                JOIN nightshift_test_effects e ON e.job_id = s.job_id AND e.attempt = s.attempt AND e.marker = 'end'
                JOIN jobs j ON j.id = s.job_id
                WHERE j.queue = $1 AND s.marker LIKE 'start%'
            )
            SELECT coalesce(max(n), 0)::int FROM (
                SELECT count(*) AS n FROM runs a JOIN runs b ON a.part = b.part AND b.started <= a.started AND a.started < b.ended
                GROUP BY a.job_id
            ) AS concurrent
            """, binds: { var binds = PostgresBindings(); binds.append(queue); return binds }()), logger: TestDatabase.logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }

    func allSucceeded(_ client: PostgresClient, _ queue: String) async throws -> Bool {
        try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state <> 'succeeded'", as: Int.self) == 0
    }

    @Test func fourWorkersWithAGlobalLimitOfOneNeverRunTwoOfAGroupAtOnce() async throws {
        let queue = TestDatabase.uniqueQueue("global")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var jobs: [NewJob] = []
            for index in 0..<24 {
                for group in ["\(queue)-a", "\(queue)-b"] {
                    jobs.append(try NewJob(TestKinds.ExclusiveJob.self, args: .init(group: group, milliseconds: 15 + index % 3 * 10), queue: queue))
                }
            }
            // Unlimited kinds in the same queue go on around them.
            jobs += try (0..<200).map { _ in try NewJob(NoopJob.self, args: .init(), queue: queue) }
            try await store.enqueueBatch(jobs.shuffled())
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<4 {
                    group.addTask {
                        try await TestDatabase.withClient(maximumConnections: 6) { own in
                            var configuration = WorkerHarness.configuration(queue: queue, concurrency: 10)
                            configuration.workerID = "test/\(queue)/\(index)"
                            let harness = try WorkerHarness(client: own, configuration: configuration, promoter: false)
                            try await eventually(timeout: .seconds(120), "every job finished") { try await allSucceeded(client, queue) }
                            try await harness.stop()
                        }
                    }
                }
                try await group.waitForAll()
            }
            // What each run saw in the jobs table when it started: only itself running.
            let seen = try await client.query("""
                SELECT DISTINCT e.marker FROM nightshift_test_effects e JOIN jobs j ON j.id = e.job_id
                WHERE j.queue = \(queue) AND e.marker LIKE 'start:%'
                """, logger: TestDatabase.logger).decode(String.self).reduce(into: Set<String>()) { $0.insert($1) }
            #expect(seen == ["start:1"], "running rows of one group seen at a start: \(seen.sorted())")
            #expect(try await mostAtOnce(client, queue: queue, partition: "j.args->>'group'") == 1)
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND kind = 'test-exclusive' AND attempt = 1", as: Int.self) == 48,
                    "each ran once")
        }
    }

    @Test func eachQueueKeepsItsOwnLimitAndAKindItsPerWorkerLimit() async throws {
        let narrow = TestDatabase.uniqueQueue("narrow"), wide = TestDatabase.uniqueQueue("wide")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var jobs = try (0..<12).map { _ in try NewJob(TestKinds.ProbeJob.self, args: .init(milliseconds: 40), queue: narrow) }
            jobs += try (0..<24).map { _ in try NewJob(TestKinds.ProbeJob.self, args: .init(milliseconds: 40), queue: wide) }
            jobs += try (0..<8).map { _ in try NewJob(TestKinds.TwoPerWorkerJob.self, args: .init(milliseconds: 40), queue: wide) }
            try await store.enqueueBatch(jobs)
            var configuration = WorkerHarness.configuration(queue: narrow)
            configuration.queues = [WorkerQueue(narrow, limit: 2), WorkerQueue(wide, limit: 8)]
            let harness = try WorkerHarness(client: client, configuration: configuration, promoter: false)
            try await eventually(timeout: .seconds(60), "every job finished") {
                guard try await allSucceeded(client, narrow) else { return false }
                return try await allSucceeded(client, wide)
            }
            try await harness.stop()
            #expect(try await mostAtOnce(client, queue: narrow, partition: "j.queue") == 2)
            #expect(try await mostAtOnce(client, queue: wide, partition: "j.queue") == 8, "the wide queue filled its 8 slots")
            #expect(try await mostAtOnce(client, queue: wide, partition: "j.kind") <= 8)
            let twoPerWorker = try await mostAtOnce(client, queue: wide, partition: "CASE WHEN j.kind = 'test-two-per-worker' THEN j.locked_by ELSE j.id::text END")
            #expect(twoPerWorker == 2, "the per-worker limit held, and was reached")
        }
    }

    @Test func aLimitThatCannotHoldIsRefusedAtRegistration() {
        struct NoLimit: JobKind {
            struct Args: Codable, Sendable {}
            static let kind = "test-no-limit"
            static var limit: KindLimit? { KindLimit(perWorker: 0) }
            func run(_ args: Args, context: JobContext) async throws {}
        }
        var registry = JobRegistry()
        #expect { try registry.register(NoLimit()) } throws: { "\($0)" == "job kind 'test-no-limit' declares an invalid limit: perWorker must be at least 1, got 0" }
    }
}
