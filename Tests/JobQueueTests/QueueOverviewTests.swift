import Foundation
import JobQueue
import Testing
import TestSupport

/// The Filas page's counts: every live job, and finished jobs of the last 24 h only.
@Suite struct QueueOverviewTests {
    @Test func liveJobsAreCountedAllAndFinishedOnesOnlyForTheLastDay() async throws {
        try await TestDatabase.withClient { client in
            let queue = TestDatabase.uniqueQueue("overview")
            let twoDaysAgo = Date().addingTimeInterval(-2 * 86_400)
            for state in [JobState.available, .available, .scheduled, .retryable, .running, .pending, .succeeded, .discarded, .cancelled] {
                _ = try await JobFactory.insert(client, queue: queue, state: state,
                                                runAt: state == .available ? twoDaysAgo : nil,
                                                heartbeatAt: state == .running ? Date() : nil)
            }
            // Finished two days ago: out of the page's day, still in `queueStats()`.
            _ = try await JobFactory.insert(client, queue: queue, state: .succeeded, finishedAt: twoDaysAgo)
            _ = try await JobFactory.insert(client, queue: queue, state: .discarded, finishedAt: twoDaysAgo)

            let store = JobStore(client: client, logger: TestDatabase.logger)
            let overview = try #require(try await store.queueOverview().first { $0.queue == queue })
            #expect(overview.counts == ["available": 2, "scheduled": 1, "retryable": 1, "running": 1, "pending": 1,
                                        "succeeded": 1, "discarded": 1, "cancelled": 1], "\(overview.counts)")
            #expect((overview.oldestAvailableAgeSeconds ?? 0) > 86_400)
            let all = try #require(try await store.queueStats().first { $0.queue == queue })
            #expect(all.counts["succeeded"] == 2 && all.counts["discarded"] == 2)
        }
    }
}
