import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

@Suite struct EnqueueTests {
    @Test(arguments: JobState.allCases)
    func uniqueKeyRulesForEveryState(state: JobState) async throws {
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let key = "key-\(UUID().uuidString)"
            // run_at far ahead, so no promoter of a test running beside this one touches the row.
            let first = try await JobFactory.insert(client, queue: TestDatabase.uniqueQueue(), state: state,
                                                    runAt: Date().addingTimeInterval(86_400), uniqueKey: key)
            let second = try await store.enqueue(NewJob(kind: "noop", queue: TestDatabase.uniqueQueue(), uniqueKey: key))
            if state == .discarded || state == .cancelled {
                #expect(second.inserted, "a key whose job was \(state) is free again")
                #expect(second.id != first)
            } else {
                #expect(!second.inserted, "a key held by a \(state) job is not enqueued again")
                #expect(second.id == first)
                #expect(second.state == state)
            }
        }
    }

    @Test func concurrentEnqueuersOfOneKeyInsertOneRow() async throws {
        try await TestDatabase.withClient(maximumConnections: 20) { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let key = "race-\(UUID().uuidString)"
            let results = try await withThrowingTaskGroup(of: EnqueueResult.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await store.enqueue(NewJob(kind: "noop", queue: "race", uniqueKey: key)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter(\.inserted).count == 1)
            #expect(Set(results.map(\.id)).count == 1)
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE unique_key = \(key)", as: Int.self) == 1)
        }
    }

    @Test func aFutureRunAtIsScheduled() async throws {
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let later = try await store.enqueue(NewJob(kind: "noop", queue: TestDatabase.uniqueQueue(), runAt: Date().addingTimeInterval(3600)))
            #expect(later.state == .scheduled)
            let now = try await store.enqueue(NewJob(kind: "noop", queue: TestDatabase.uniqueQueue(), runAt: Date().addingTimeInterval(-5)))
            #expect(now.state == .available)
        }
    }

    @Test func batchEnqueueInsertsAllInOneCallAndSkipsTakenKeys() async throws {
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let queue = TestDatabase.uniqueQueue()
            let key = "batch-\(UUID().uuidString)"
            var jobs = (0..<1_000).map { NewJob(kind: "noop", args: "{\"n\": \($0)}", queue: queue) }
            jobs.append(NewJob(kind: "noop", queue: queue, uniqueKey: key))
            jobs.append(NewJob(kind: "noop", queue: queue, uniqueKey: key))
            jobs.append(NewJob(kind: "noop", queue: queue, runAt: Date().addingTimeInterval(600)))
            let ids = try await store.enqueueBatch(jobs)
            #expect(ids.count == 1_002)
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'available'", as: Int.self) == 1_001)
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'scheduled'", as: Int.self) == 1)
            #expect(try await client.scalar("SELECT (args->>'n')::int FROM jobs WHERE id = \(ids[7])", as: Int.self) == 7)
        }
    }

    @Test func enqueueInsideACallersTransactionRollsBackWithIt() async throws {
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let queue = TestDatabase.uniqueQueue()
            struct Abort: Error {}
            do {
                try await Transaction.run(on: client, logger: TestDatabase.logger) { connection in
                    _ = try await store.enqueue(NewJob(kind: "noop", queue: queue), on: connection)
                    throw Abort()
                }
            } catch is Abort {}
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue)", as: Int.self) == 0)
            try await client.withTransaction(logger: TestDatabase.logger) { connection in
                _ = try await store.enqueue(NewJob(kind: "noop", queue: queue), on: connection)
            }
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue)", as: Int.self) == 1)
        }
    }

    @Test func theUniqueKeyIndexHoldsTheSameStatesAsTheCode() async throws {
        try await TestDatabase.withClient { client in
            let predicate = try await client.scalar("""
                SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'jobs_unique_key_idx'::regclass
                """, as: String.self) ?? ""
            for state in JobState.allCases {
                #expect(predicate.contains("'\(state.rawValue)'") == JobState.uniqueStates.contains(state), "\(state) in \(predicate)")
            }
        }
    }

    @Test func typedArgumentsAreEncodedAsJSON() async throws {
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try NewJob(TestKinds.SleepJob.self, args: .init(milliseconds: 25), queue: TestDatabase.uniqueQueue())
            let result = try await store.enqueue(job)
            #expect(try await client.scalar("SELECT (args->>'milliseconds')::int FROM jobs WHERE id = \(result.id)", as: Int.self) == 25)
        }
    }
}
