import Database
import Foundation
import JobQueue
import NightshiftCore
import PostgresNIO
import Synchronization
import Testing
import TestSupport

/// Collects every event it receives, for assertions.
final class EventLog: JobEventSubscriber {
    private let events = Mutex<[JobEvent]>([])
    func receive(_ event: JobEvent) { events.withLock { $0.append(event) } }
    var all: [JobEvent] { events.withLock { $0 } }
    func names(of id: Int64) -> [JobEvent.Name] { all.filter { $0.jobID == id }.map(\.name) }
}

/// Takes only the names it was made for, as the alert webhook takes only `discarded`.
final class NamedEventLog: JobEventSubscriber {
    let names: Set<JobEvent.Name>
    let log = EventLog()
    init(_ names: Set<JobEvent.Name>) { self.names = names }
    func receives(_ name: JobEvent.Name) -> Bool { names.contains(name) }
    func receive(_ event: JobEvent) { log.receive(event) }
}

@Suite struct JobEventsTests {
    /// Runs a worker on `queue`, reporting to `events`, until `count` of its jobs have finished.
    private static func work(_ queue: String, until count: Int, finishedWith client: PostgresClient,
                             events: JobEvents) async throws {
        let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue),
                                        events: events)
        try await eventually("all finished") {
            try await client.scalar("""
                SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state IN ('succeeded', 'discarded')
                """, as: Int.self) == count
        }
        try await harness.stop()
    }

    /// A subscriber gets only the names it takes, from the enqueue path and the worker alike;
    /// the logger takes a name only at or above its level.
    @Test func aSubscriberReceivesOnlyTheNamesItTakes() async throws {
        let queue = TestDatabase.uniqueQueue("named-events")
        let discards = NamedEventLog([.discarded])
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger, events: JobEvents([discards]))
            let ok = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            let doomed = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 9), queue: queue, maxAttempts: 1))
            try await store.enqueueBatch((0..<2).map { _ in NewJob(kind: "noop", queue: queue) })
            try await Self.work(queue, until: 4, finishedWith: client, events: JobEvents([discards]))
            #expect(discards.log.names(of: ok.id) == [])
            #expect(discards.log.names(of: doomed.id) == [.discarded])
            #expect(discards.log.all.map(\.name) == [.discarded], "nothing but the discard: \(discards.log.all.map(\.name))")
        }
        var logger = TestDatabase.logger
        logger.logLevel = .info
        let atInfo = JobEventLogger(logger: logger)
        #expect(!atInfo.receives(.started) && !atInfo.receives(.succeeded) && !atInfo.receives(.enqueued))
        #expect(atInfo.receives(.cancelled) && atInfo.receives(.failed) && atInfo.receives(.discarded))
        logger.logLevel = .debug
        #expect(JobEventLogger(logger: logger).receives(.started))
    }

    @Test func theWorkerAndTheEnqueuePathReportEachJobsLife() async throws {
        let queue = TestDatabase.uniqueQueue("events")
        let log = EventLog()
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger, events: JobEvents([log]))
            let ok = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            let flaky = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 1), queue: queue))
            let doomed = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 9), queue: queue, maxAttempts: 1))
            let unknown = try await store.enqueue(NewJob(kind: "no-such-kind", queue: queue))
            try await store.enqueueBatch((0..<3).map { _ in NewJob(kind: "noop", queue: queue) })
            try await Self.work(queue, until: 7, finishedWith: client, events: JobEvents([log]))

            #expect(log.names(of: ok.id) == [.enqueued, .started, .succeeded])
            #expect(log.names(of: flaky.id) == [.enqueued, .started, .failed, .started, .succeeded])
            #expect(log.names(of: doomed.id) == [.enqueued, .started, .discarded])
            #expect(log.names(of: unknown.id) == [.enqueued, .discarded], "an unknown kind never starts")
            let batch = log.all.filter { $0.name == .enqueued && $0.jobID == nil }
            #expect(batch.map(\.count) == [3] && batch.first?.kind == "noop" && batch.first?.queue == queue)

            let discarded = try #require(log.all.first { $0.jobID == doomed.id && $0.name == .discarded })
            #expect(discarded.kind == TestKinds.FailJob.kind && discarded.queue == queue && discarded.attempt == 1)
            #expect(discarded.args == #"{"failTimes": 9}"#, "an alert can show what ran (jsonb text)")
            #expect(discarded.error == "test failure on attempt 1")
            #expect(discarded.duration != nil)
            let failed = try #require(log.all.first { $0.jobID == flaky.id && $0.name == .failed })
            #expect(failed.retryIn != nil && failed.error == "test failure on attempt 1")
            #expect(log.all.filter { $0.name == .succeeded }.allSatisfy { $0.duration != nil })
        }
    }

    @Test func aBatchReportsOnlyTheJobsItInserted() async throws {
        let queue = TestDatabase.uniqueQueue("batch-events")
        let log = EventLog()
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger, events: JobEvents([log]))
            let key = "batch-\(UUID().uuidString)"
            let ids = try await store.enqueueBatch([
                NewJob(kind: "noop", queue: queue, uniqueKey: key), NewJob(kind: "noop", queue: queue, uniqueKey: key),
                NewJob(kind: "noop", queue: queue), NewJob(kind: TestKinds.FailJob.kind, args: #"{"failTimes": 0}"#, queue: queue),
            ])
            #expect(ids.count == 3)
            let counts = Dictionary(uniqueKeysWithValues: log.all.map { ($0.kind, $0.count) })
            #expect(counts == ["noop": 2, TestKinds.FailJob.kind: 1], "the second job with the key was not inserted")
        }
    }

    @Test func aRescuedJobIsReportedWithItsReason() async throws {
        let queue = TestDatabase.uniqueQueue("rescued-events")
        let log = EventLog()
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger, events: JobEvents([log]))
            let silent = Date().addingTimeInterval(-600)
            let retried = try await JobFactory.insert(client, queue: queue, state: .running, lockedBy: "gone/7", heartbeatAt: silent)
            let lastTry = try await JobFactory.insert(client, queue: queue, state: .running, maxAttempts: 1, lockedBy: "gone/7", heartbeatAt: silent)
            _ = try await store.rescueStuckJobs(staleAfter: .seconds(30), queues: [queue])
            #expect(log.names(of: retried) == [.failed])
            #expect(log.names(of: lastTry) == [.discarded])
            #expect(log.all.allSatisfy { $0.error == "rescued: worker gone/7 stopped heartbeating" && $0.kind == "noop" })
        }
    }
}
