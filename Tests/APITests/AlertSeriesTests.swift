import Foundation
import JobQueue
import Monitoring
import PostgresNIO
import Testing
import TestSupport

/// What makes the alert rules fire the first time (their promtool tests take these series as
/// given): counters that exist at 0 before the first event, and a last-success gauge for a
/// safety net that never succeeded, read with the reference Prometheus parser.
@Suite struct AlertSeriesTests {
    @Test func everyKindsCountersExistAtZeroFromTheStart() throws {
        let registry = MetricsRegistry()
        JobMetrics(registry: registry).prime(kinds: ["prune-cloud", "nightly-dump"], queues: ["default", "backups"])
        let samples = try PrometheusText.parse(String(decoding: registry.exposition(), as: UTF8.self))["nightshift_jobs_total"] ?? []
        let discarded = samples.filter { $0.labels["event"] == "discarded" }
        #expect(discarded.count == 4 && discarded.allSatisfy { $0.value == 0 }, "\(discarded.map(\.labels))")
        #expect(discarded.contains { $0.labels["kind"] == "prune-cloud" && $0.labels["queue"] == "backups" })
    }

    @Test func aSafetyNetThatNeverSucceededReadsTheDeploymentsStart() async throws {
        try await TestDatabase.withClient { client in
            let branch = "never-\(UUID().uuidString.prefix(6).lowercased())"
            let registry = MetricsRegistry()
            try await StateGauges(client: client, registry: registry, studioTimeZone: TimeZone(identifier: "UTC")!, branch: branch,
                                  logger: TestDatabase.logger).refresh()
            let origin = try #require(try await client.scalar(
                "SELECT extract(epoch FROM min(applied_at))::float8 FROM schema_migrations", as: Double.self))
            let samples = try PrometheusText.parse(String(decoding: registry.exposition(), as: UTF8.self))["nightshift_last_success_timestamp_seconds"] ?? []
            for what in ["nightly_dump", "restore_drill", "metrics_push"] {
                let sample = samples.first { $0.labels["what"] == what && $0.labels["branch"] == branch }
                #expect(sample?.value == origin, "\(what) of a branch with no success reads the first migration's time")
            }
        }
    }

    /// Queue depth from the live jobs' indexes; finished jobs only for their last 24 h.
    @Test func queueDepthCountsLiveJobsAndTheDaysFinishedOnes() async throws {
        try await TestDatabase.withClient { client in
            let queue = TestDatabase.uniqueQueue("gauge")
            for state in [JobState.available, .available, .scheduled, .discarded] {
                _ = try await JobFactory.insert(client, queue: queue, state: state)
            }
            _ = try await JobFactory.insert(client, queue: queue, state: .succeeded, finishedAt: Date().addingTimeInterval(-2 * 86_400))
            let registry = MetricsRegistry()
            try await StateGauges(client: client, registry: registry, studioTimeZone: TimeZone(identifier: "UTC")!, branch: "b",
                                  logger: TestDatabase.logger).refresh()
            let families = try PrometheusText.parse(String(decoding: registry.exposition(), as: UTF8.self))
            let depth = Dictionary(uniqueKeysWithValues: (families["nightshift_queue_jobs"] ?? [])
                .filter { $0.labels["queue"] == queue }.map { ($0.labels["state"] ?? "", $0.value) })
            #expect(depth == ["available": 2, "scheduled": 1, "discarded": 1], "\(depth)")
            #expect(families["nightshift_queue_oldest_available_age_seconds"]?.contains { $0.labels["queue"] == queue } == true)
        }
    }
}
