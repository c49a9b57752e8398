import CoreMetrics
import Database
import Foundation
import JobQueue
import Logging
import PostgresNIO
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

    /// The safety nets with a last-success series: those kept per branch, then the others.
    static let perBranch = ["nightly_dump", "restore_drill", "metrics_push"]
    static let global = ["month_backup", "extrato", "cloud_prune"]

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
        var seen = Set<String>()
        func set(_ label: String, _ dimensions: [(String, String)], _ value: Double) {
            registry.gauge(label, dimensions).record(value)
            seen.insert(label + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ","))
        }
        // Live jobs from their partial indexes and those finished in the last 24 h: every 15 s,
        // a count of every row kept (`job_queue_stats`) read ten million finished rows.
        for queue in try await JobStore(client: client, logger: logger).queueOverview() {
            for (state, jobs) in queue.counts {
                set("nightshift_queue_jobs", [("queue", queue.queue), ("state", state)], Double(jobs))
            }
            if let age = queue.oldestAvailableAgeSeconds {
                set("nightshift_queue_oldest_available_age_seconds", [("queue", queue.queue)], max(0, age))
            }
        }
        for try await (what, branch, epoch) in try await client.query("""
            SELECT 'month_backup', '', extract(epoch FROM max(finished_at))::float8 FROM jobs WHERE kind = 'backup-month' AND state = 'succeeded'
            UNION ALL SELECT 'extrato', '', extract(epoch FROM max(run_at))::float8 FROM extrato_runs WHERE status = 'success'
            UNION ALL SELECT 'cloud_prune', '', extract(epoch FROM max(finished_at))::float8 FROM jobs WHERE kind = 'prune-cloud' AND state = 'succeeded'
            UNION ALL SELECT 'nightly_dump', branch, extract(epoch FROM max(finished_at))::float8 FROM backup_history
                      WHERE status IN ('completed', 'expired') GROUP BY branch
            UNION ALL SELECT 'restore_drill', branch, extract(epoch FROM max(verified_at))::float8 FROM backup_history
                      WHERE verification_status = 'true' GROUP BY branch
            UNION ALL SELECT 'metrics_push', branch, extract(epoch FROM max(pushed_at))::float8 FROM daily_summaries GROUP BY branch
            """, logger: logger).decode((String, String, Double?).self) {
            guard let epoch else { continue }
            set("nightshift_last_success_timestamp_seconds", [("what", what), ("branch", branch)], epoch)
        }
        // Never succeeded yet: the deployment's start stands in for the last success.
        var origin: Double?
        for try await first in try await client.query("SELECT extract(epoch FROM min(applied_at))::float8 FROM schema_migrations",
                                                      logger: logger).decode(Double?.self) { origin = first }
        if let origin {
            let expected = Self.perBranch.map { ($0, branch) } + Self.global.map { ($0, "") }
            for (what, branch) in expected where !seen.contains("nightshift_last_success_timestamp_seconds" + "what=\(what),branch=\(branch)") {
                set("nightshift_last_success_timestamp_seconds", [("what", what), ("branch", branch)], origin)
            }
        }
        // 1 while the branch's latest drill failed (rows or content differ, or no restore).
        for try await (branch, failed) in try await client.query("""
            SELECT DISTINCT ON (branch) branch, verification_status = 'false' FROM backup_history
            WHERE verification_status IN ('true', 'false') ORDER BY branch, verified_at DESC
            """, logger: logger).decode((String, Bool).self) {
            set("nightshift_restore_drill_failed", [("branch", branch)], failed ? 1 : 0)
        }
        // 1 for a paused queue; a resumed one reads 0 (below), so an alert on it resolves.
        for try await queue in try await client.query("SELECT queue FROM queue_pauses", logger: logger).decode(String.self) {
            set("nightshift_queue_paused", [("queue", queue)], 1)
        }
        let closed = try await client.query("""
            SELECT EXISTS (SELECT 1 FROM extratos WHERE make_date(ano, mes, 1)
                           = (date_trunc('month', now() AT TIME ZONE \(studioTimeZone.identifier)) - interval '1 month')::date)
            """, logger: logger).decode(Bool.self).reduce(false) { $0 || $1 }
        set("nightshift_extrato_previous_month_closed", [], closed ? 1 : 0)
        // Due months with neither an extrato nor a live close job (migration 0016's rule).
        let gaps = try await client.query("""
            SELECT count(*)::int FROM month_close_gaps(\(studioTimeZone.identifier))
            """, logger: logger).decode(Int.self).reduce(0) { $0 + $1 }
        set("nightshift_month_close_gaps", [], Double(gaps))
        for try await (schedule, epoch) in try await client.query("""
            SELECT schedule, extract(epoch FROM slot)::float8 FROM schedule_last_slots
            """, logger: logger).decode((String, Double).self) {
            set("nightshift_schedule_last_slot_timestamp_seconds", [("schedule", schedule)], epoch)
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
