import BackOffice
import CoreMetrics
import Database
import Foundation
import JobQueue
import Logging
import PostgresNIO
import Scheduler
import ServiceLifecycle
import Synchronization

/// Gauges read from the database every `interval`: queue depth and the oldest available job's
/// age per queue, when each safety net last succeeded (month backup, extrato, nightly dump,
/// restore drill, metrics push, cloud prune), whether a branch's latest restore drill failed,
/// whether the previous month is closed, how many due months were never closed, paused queues, and each schedule's last slot. What the alert rules in ops/monitoring/ watch.
///
/// A safety net that has never succeeded still has its series: until its first success,
/// `nightshift_last_success_timestamp_seconds` reads the deployment's start (when the first
/// migration was applied), so "no success for 26 hours" fires once the deployment is older
/// than that, instead of never (an absent series matches no rule).
public final class StateGauges: Service {
    let client: PostgresClient
    let registry: MetricsRegistry
    let studioTimeZone: TimeZone
    /// The branch (`BRANCH_ID`) whose per-branch safety nets must exist from the start.
    let branch: String
    let interval: Duration
    let logger: Logger
    private let known = Mutex<Set<String>>([])

    public init(client: PostgresClient, registry: MetricsRegistry, studioTimeZone: TimeZone, branch: String,
                interval: Duration = .seconds(15), logger: Logger) {
        self.client = client
        self.registry = registry
        self.studioTimeZone = studioTimeZone
        self.branch = branch
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await self.refresh() } catch is CancellationError { return } catch {
                    self.logger.warning("could not refresh state gauges", metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
                }
                try await Task.sleep(for: self.interval)
            }
        }
    }

    /// One read of every gauge.
    public func refresh() async throws {
        let store = JobStore(client: client, logger: logger)
        var seen = Set<String>()
        func set(_ label: String, _ dimensions: [(String, String)], _ value: Double) {
            registry.gauge(label, dimensions).record(value)
            seen.insert(label + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ","))
        }
        // Live jobs from their partial indexes and those finished in the last 24 h: every 15 s,
        // a count of every row kept (`job_queue_stats`) read ten million finished rows.
        for queue in try await store.queueOverview() {
            for (state, jobs) in queue.counts {
                set("nightshift_queue_jobs", [("queue", queue.queue), ("state", state)], Double(jobs))
            }
            if let age = queue.oldestAvailableAgeSeconds {
                set("nightshift_queue_oldest_available_age_seconds", [("queue", queue.queue)], max(0, age))
            }
        }
        // The same readings as the home page and the alert SQL (``SafetyNetReadings``).
        let nets = try await SafetyNetReadings(store: store, timeZone: studioTimeZone).read()
        for (net, branches) in nets.lastSuccesses {
            for (branch, at) in branches {
                set("nightshift_last_success_timestamp_seconds", [("what", net.rawValue), ("branch", branch)], at.timeIntervalSince1970)
            }
        }
        // Never succeeded yet: the deployment's start stands in for the last success.
        let origin = try await Migrator.deployedAtEpochSeconds(client: client, logger: logger)
        if let origin {
            let expected = SafetyNetReadings.Net.allCases.map { ($0.rawValue, $0.isPerBranch ? branch : "") }
            for (what, branch) in expected where !seen.contains("nightshift_last_success_timestamp_seconds" + "what=\(what),branch=\(branch)") {
                set("nightshift_last_success_timestamp_seconds", [("what", what), ("branch", branch)], origin)
            }
        }
        // 1 while the branch's latest drill failed (rows or content differ, or no restore).
        for (branch, drill) in nets.drills {
            if let failed = drill.latestDecidedFailed { set("nightshift_restore_drill_failed", [("branch", branch)], failed ? 1 : 0) }
        }
        // 1 for a paused queue; a resumed one reads 0 (below), so an alert on it resolves.
        for pause in try await store.pausedQueues() {
            set("nightshift_queue_paused", [("queue", pause.queue)], 1)
        }
        set("nightshift_extrato_previous_month_closed", [], nets.previousMonthClosed ? 1 : 0)
        // Due months with neither an extrato nor a live close job (migration 0016's rule).
        set("nightshift_month_close_gaps", [], Double(nets.monthCloseGaps.count))
        for (schedule, last) in try await SlotStore(jobs: store).lastSlots() {
            set("nightshift_schedule_last_slot_timestamp_seconds", [("schedule", schedule)], last.slot.timeIntervalSince1970)
        }
        // A queue that emptied out reads 0 rather than its last value.
        let stale = known.withLock { previous -> Set<String> in
            defer { previous = seen.union(previous) }
            return previous.subtracting(seen)
        }
        for label in ["nightshift_queue_jobs", "nightshift_queue_paused"] {
            for entry in stale where entry.hasPrefix(label + "queue=") {
                let dimensions = entry.dropFirst(label.count).split(separator: ",").map {
                    let pair = $0.split(separator: "=", maxSplits: 1)
                    return (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
                }
                registry.gauge(label, dimensions).record(0)
            }
        }
    }
}
