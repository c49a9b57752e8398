import Database
import Foundation
@testable import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// The worker's libpq claim connection: parameters as array literals, reconnecting.
@Suite struct ClaimConnectionTests {
    @Test func arrayLiteralsQuoteEveryElement() {
        #expect(ArrayLiteral.integers([Int64]()) == "{}")
        #expect(ArrayLiteral.integers([1, -2, 30] as [Int64]) == "{1,-2,30}")
        #expect(ArrayLiteral.text(["default"]) == #"{"default"}"#)
        #expect(ArrayLiteral.text([#"a,b"#, #"q"uote"#, #"back\slash"#, "{x} y", ""])
            == #"{"a,b","q\"uote","back\\slash","{x} y",""}"#)
    }

    @Test func queueNamesWithCommasQuotesAndBracesAreClaimedFromThatQueueOnly() async throws {
        let suffix = UUID().uuidString.prefix(6)
        let odd = #"odd "q",{\\}-"# + suffix
        let plain = "odd-" + suffix
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let wanted = try await store.enqueue(NewJob(kind: "noop", queue: odd))
            let other = try await store.enqueue(NewJob(kind: "noop", queue: plain))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: odd))
            try await eventually("job in the odd queue done") { try await store.job(wanted.id)?.state == .succeeded }
            try await harness.stop()
            #expect(try await store.job(other.id)?.state == .available, "a queue named like part of the literal is not claimed")
        }
    }

    @Test func aWorkerWhoseClaimConnectionIsKilledReconnectsAndGoesOn() async throws {
        let queue = TestDatabase.uniqueQueue("reconnect")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var configuration = WorkerHarness.configuration(queue: queue)
            configuration.workerID = "reconnect/\(queue)"
            let harness = try WorkerHarness(client: client, configuration: configuration)
            let first = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            try await eventually("first job done") { try await store.job(first.id)?.state == .succeeded }
            let killed = try await client.scalar("""
                SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
                WHERE application_name = \("nightshift-worker \(configuration.workerID)")
                """, as: Int.self)
            // One per claimer that has connected (a helper connects on its first use).
            #expect((1...configuration.claimers).contains(killed ?? 0), "the worker's claim connections were found and terminated")
            let second = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            try await eventually("job after the kill done") { try await store.job(second.id)?.state == .succeeded }
            try await harness.stop()
        }
    }

    @Test func completionsRidingWithAClaimAreFencedByAttempt() async throws {
        let queue = TestDatabase.uniqueQueue("ride")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let ids = try await store.enqueueBatch((0..<3).map { _ in NewJob(kind: "noop", queue: queue) })
            let connection = ClaimConnection(url: TestDatabase.url, workerID: "ride/1")
            defer { connection.close() }
            let first = try await connection.claim([WorkerQueue(queue, limit: 2)], limit: 2, worker: "ride/1", completing: [])
            #expect(first.jobs.map(\.id) == Array(ids.prefix(2)), "claimed in order")
            let current = AttemptRef(id: first.jobs[0].id, attempt: first.jobs[0].attempt)
            let stale = AttemptRef(id: first.jobs[1].id, attempt: first.jobs[1].attempt + 1)
            let second = try await connection.claim([WorkerQueue(queue, limit: 5)], limit: 5, worker: "ride/1", completing: [current, stale])
            #expect(second.jobs.map(\.id) == [ids[2]])
            #expect(second.fenced == [stale], "only the completion whose attempt is not running is refused")
            #expect(try await store.job(current.id)?.state == .succeeded)
            #expect(try await store.job(stale.id)?.state == .running, "a refused completion changes nothing")
        }
    }
}
