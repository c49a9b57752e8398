import Foundation
import JobQueue
import Logging
import PostgresNIO

/// When each safety net last succeeded, and the other facts its status is judged on — read
/// once, here, for everyone who shows them: the dashboard's home page, the state gauges
/// (`nightshift_last_success_timestamp_seconds`) and the alert SQL (`ops/monitoring/alerts.sql`,
/// "safety net silent", which writes the same definitions in SQL; a test checks the three
/// agree on one database).
///
/// A success is:
/// - month backup: a `backup-month` job succeeded;
/// - extrato: a run of `extrato_runs` with status `success`;
/// - nightly dump (per branch): a `backup_history` row completed, or completed and since expired;
/// - restore drill (per branch): a drill verified `true`;
/// - metrics push (per branch): a `daily_summaries` row pushed;
/// - cloud prune: a `prune-cloud` job succeeded.
public struct SafetyNetReadings: Sendable {
    public enum Net: String, CaseIterable, Sendable {
        case monthBackup = "month_backup"
        case extrato
        case nightlyDump = "nightly_dump"
        case restoreDrill = "restore_drill"
        case metricsPush = "metrics_push"
        case cloudPrune = "cloud_prune"

        /// Kept per branch (`BRANCH_ID`); the others are one for the deployment.
        public var isPerBranch: Bool { [.nightlyDump, .restoreDrill, .metricsPush].contains(self) }
    }

    /// A drill's verdict: `true` (the restore matched), `false` (it did not), `unverified`.
    public struct Drill: Sendable, Equatable {
        /// The latest verdict of any kind.
        public var latest: String
        /// Whether the latest `true`-or-`false` verdict is `false`: what the alert watches, so an
        /// unverifiable drill after a failed one does not clear it.
        public var latestDecidedFailed: Bool?
    }

    /// One read of every safety net.
    public struct Snapshot: Sendable {
        /// Last success by net and branch (`""` for the nets kept once); a net that never
        /// succeeded is absent.
        public var lastSuccesses: [Net: [String: Date]]
        /// Each branch's latest drill.
        public var drills: [String: Drill]
        /// The month before `now` in the studio's zone, and whether it has its extrato.
        public var previousMonth: StudioMonth
        public var previousMonthClosed: Bool
        /// Due months with neither an extrato nor a live close job, oldest first
        /// (``MonthCloseGaps``, the SQL function `month_close_gaps` that alerts.sql reads too).
        public var monthCloseGaps: [StudioMonth]

        public func lastSuccess(_ net: Net, branch: String) -> Date? {
            lastSuccesses[net]?[net.isPerBranch ? branch : ""]
        }
    }

    public let store: JobStore
    public let timeZone: TimeZone

    public init(store: JobStore, timeZone: TimeZone) {
        self.store = store
        self.timeZone = timeZone
    }

    var logger: Logger { store.logger }

    public func read(now: Date = Date()) async throws -> Snapshot {
        let month = StudioMonth.previous(of: now, in: timeZone)
        async let jobs = store.lastSucceeded(kinds: [BackupMonthJob.kind, PruneCloudJob.kind])
        var found: [Net: [String: Date]] = [:]
        for try await (what, branch, at) in try await store.client.query("""
            SELECT 'extrato', '', max(run_at) FROM extrato_runs WHERE status = 'success' HAVING max(run_at) IS NOT NULL
            UNION ALL SELECT 'nightly_dump', branch, max(finished_at) FROM backup_history
                      WHERE status IN ('completed', 'expired') GROUP BY branch
            UNION ALL SELECT 'restore_drill', branch, max(verified_at) FROM backup_history
                      WHERE verification_status = 'true' GROUP BY branch
            UNION ALL SELECT 'metrics_push', branch, max(pushed_at) FROM daily_summaries WHERE pushed_at IS NOT NULL GROUP BY branch
            """, logger: logger).decode((String, String, Date).self) {
            if let net = Net(rawValue: what) { found[net, default: [:]][branch] = at }
        }
        let byKind = try await jobs
        if let at = byKind[BackupMonthJob.kind] { found[.monthBackup] = ["": at] }
        if let at = byKind[PruneCloudJob.kind] { found[.cloudPrune] = ["": at] }

        var drills: [String: Drill] = [:]
        for try await (branch, latest, decidedFailed) in try await store.client.query("""
            SELECT DISTINCT ON (branch) branch, verification_status,
                   (SELECT d.verification_status = 'false' FROM backup_history AS d
                    WHERE d.branch = b.branch AND d.verification_status IN ('true', 'false')
                    ORDER BY d.verified_at DESC LIMIT 1)
            FROM backup_history AS b WHERE verified_at IS NOT NULL
            ORDER BY branch, verified_at DESC
            """, logger: logger).decode((String, String?, Bool?).self) {
            drills[branch] = Drill(latest: latest ?? "unverified", latestDecidedFailed: decidedFailed)
        }
        var closed = false
        for try await exists in try await store.client.query("""
            SELECT EXISTS (SELECT 1 FROM extratos WHERE ano = \(month.year) AND mes = \(month.month))
            """, logger: logger).decode(Bool.self) {
            closed = exists
        }
        let gaps = try await MonthCloseGaps.read(client: store.client, zone: timeZone, now: now, logger: logger)
        return Snapshot(lastSuccesses: found, drills: drills, previousMonth: month, previousMonthClosed: closed,
                        monthCloseGaps: gaps)
    }
}
