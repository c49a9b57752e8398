import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// The read side the dashboard and the gauges call (`JobStore+Stats`), on a database of its own
/// so every count is exactly this test's rows.
@Suite struct JobStoreStatsTests {
    static func withMigrated(_ body: @Sendable @escaping (PostgresClient, JobStore) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url, migrate: false) { client in
                _ = try await Migrator(client: client, logger: TestDatabase.logger).migrate(Migration.load(from: TestDatabase.migrationsDirectory))
                try await body(client, JobStore(client: client, logger: TestDatabase.logger))
            }
        }
    }

    @Test func finishedByHourCountsEachOutcomeInItsHourWithEmptyHoursAsZero() async throws {
        try await Self.withMigrated { client, store in
            let now = Date()
            for (state, hoursAgo) in [(JobState.succeeded, 0.0), (.succeeded, 0.0), (.discarded, 0.0), (.succeeded, 3.0), (.cancelled, 3.0),
                                      (.succeeded, 30.0), (.available, 0.0)] {
                _ = try await JobFactory.insert(client, queue: "q", state: state,
                                                finishedAt: state.isFinished ? now.addingTimeInterval(-hoursAgo * 3600) : nil)
            }
            let hours = try await store.finishedByHour(hours: 24)
            #expect(hours.count == 24, "one bar per hour, empty ones too")
            #expect(hours.map(\.hour) == hours.map(\.hour).sorted(), "oldest first")
            let last = try #require(hours.last), threeBack = hours[hours.count - 4]
            #expect((last.succeeded, last.discarded, last.cancelled) == (2, 1, 0), "\(last)")
            #expect((threeBack.succeeded, threeBack.discarded, threeBack.cancelled) == (1, 0, 1), "\(threeBack)")
            #expect(hours.map { $0.succeeded + $0.discarded + $0.cancelled }.reduce(0, +) == 5, "the job of 30 h ago is outside the day")
        }
    }

    @Test func durationsByKindTakeTheDaysSucceededRunsOnly() async throws {
        try await Self.withMigrated { client, store in
            let now = Date()
            for seconds in [1.0, 2.0, 3.0, 4.0] {
                _ = try await JobFactory.insert(client, kind: "timed", queue: "q", state: .succeeded,
                                                attemptedAt: now.addingTimeInterval(-60 - seconds), finishedAt: now.addingTimeInterval(-60))
            }
            _ = try await JobFactory.insert(client, kind: "timed", queue: "q", state: .discarded,
                                            attemptedAt: now.addingTimeInterval(-1000), finishedAt: now.addingTimeInterval(-60))
            _ = try await JobFactory.insert(client, kind: "timed", queue: "q", state: .succeeded,
                                            attemptedAt: now.addingTimeInterval(-3 * 86_400), finishedAt: now.addingTimeInterval(-2 * 86_400))
            let durations = try await store.durationsByKind(within: .seconds(86_400))
            let timed = try #require(durations.first { $0.kind == "timed" })
            #expect(durations.count == 1 && timed.runs == 4)
            #expect(abs(timed.p50Seconds - 2.5) < 0.01 && abs(timed.p95Seconds - 3.85) < 0.01, "\(timed)")
        }
    }

    /// The back office's kinds go through their partial index, any other kind without it: both
    /// answer the latest success, and a kind that only failed is absent.
    @Test func lastSucceededIsTheLatestSuccessPerKind() async throws {
        try await Self.withMigrated { client, store in
            let base = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            for kind in ["prune-cloud", "custom-kind"] {
                _ = try await JobFactory.insert(client, kind: kind, queue: "q", state: .succeeded, finishedAt: base.addingTimeInterval(-7200))
                _ = try await JobFactory.insert(client, kind: kind, queue: "q", state: .succeeded, finishedAt: base.addingTimeInterval(-3600))
                _ = try await JobFactory.insert(client, kind: kind, queue: "q", state: .discarded, finishedAt: base.addingTimeInterval(-60))
            }
            _ = try await JobFactory.insert(client, kind: "backup-month", queue: "q", state: .discarded, finishedAt: base)
            let last = try await store.lastSucceeded(kinds: ["prune-cloud", "custom-kind", "backup-month", "never-ran"])
            #expect(last == ["prune-cloud": base.addingTimeInterval(-3600), "custom-kind": base.addingTimeInterval(-3600)], "\(last)")
        }
    }

    @Test func discardedCountAndDeletingABenchsQueues() async throws {
        try await Self.withMigrated { client, store in
            let now = Date()
            _ = try await JobFactory.insert(client, queue: "q", state: .discarded, finishedAt: now.addingTimeInterval(-86_400))
            _ = try await JobFactory.insert(client, queue: "q", state: .discarded, finishedAt: now.addingTimeInterval(-8 * 86_400))
            #expect(try await store.discardedCount(within: .seconds(7 * 86_400)) == 1)

            for queue in ["bench_1-a", "bench_1-b", "bench_1", "benchX1-a", "other"] {
                _ = try await JobFactory.insert(client, queue: queue, state: .available)
            }
            // `_` is a LIKE wildcard; the prefix is matched as written.
            #expect(try await store.deleteJobs(inQueuesStartingWith: "bench_1") == 3)
            let left = try await client.scalar("SELECT string_agg(queue, ',' ORDER BY queue) FROM jobs WHERE state = 'available'", as: String.self)
            #expect(left == "benchX1-a,other")
        }
    }
}
