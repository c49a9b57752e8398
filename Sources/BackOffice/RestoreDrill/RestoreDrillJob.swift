import Cron
import Database
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage

/// `restore-drill`: restores a dump (default: the branch's latest completed one) and checks
/// every table's row count and content digest against those taken at dump time. A dump that fails the drill
/// discards the job with the reason (a corrupt dump does not get better by retrying); the
/// failure is on the backup's history row too.
public struct RestoreDrillJob: JobKind {
    public struct Args: Codable, Sendable {
        public var backupID: Int64?
        /// The scheduled run's day (its unique key); informational.
        public var date: String?
        /// The branch (BRANCH_ID) the drill is for: one drill per branch runs at a time.
        public var branch: String?
        public init(backupID: Int64? = nil, date: String? = nil, branch: String? = nil) {
            self.backupID = backupID
            self.date = date
            self.branch = branch
        }
        enum CodingKeys: String, CodingKey { case backupID = "backup_id", date, branch }
    }

    /// Two drills of one branch never restore at once (the scratch database, the disk).
    public static var limit: KindLimit? { .global(1, partitionBy: "branch") }

    public static let kind = "restore-drill"
    public static let maxAttempts: Int? = 3
    public static let timeout: Duration? = .seconds(6 * 3600)

    public static func validate(_ args: Args) throws(InvalidInput) {
        if let branch = args.branch, !BranchSettings.isValidID(branch) {
            throw InvalidInput(field: "branch", "branch '\(branch)' must be letters, digits, '-', '_' or '.' (at most 64), like BRANCH_ID")
        }
        if let id = args.backupID, id < 1 { throw InvalidInput(field: "backup_id", "backup_id must be a backup_history id, got \(id)") }
        if let date = args.date, LocalDate(iso: date) == nil {
            throw InvalidInput(field: "date", "date '\(date)' is not a day like 2026-11-30")
        }
    }

    public let settings: BackOfficeSettings
    /// The server scratch databases are made on: the queue's (DATABASE_URL's).
    public let database: DatabaseURL
    public let store: (any ObjectStore)?

    public init(settings: BackOfficeSettings, database: DatabaseURL, store: (any ObjectStore)?) {
        self.settings = settings
        self.database = database
        self.store = store
    }

    /// How long a drill waits when the dump it would restore is still being made.
    public static let waitForDump: Duration = .seconds(600)

    public func run(_ args: Args, context: JobContext) async throws {
        let history = BackupHistory(client: context.client, logger: context.logger)
        // The branch the job names: its latest dump is drilled, whichever branch's worker claimed it.
        let settings = settings.forBranch(args.branch)
        let branch = settings.branch.id
        // A `running` row of a dump that died would make the drill wait for nothing (and for
        // six hours): close such rows first.
        _ = try await DumpSweeper(history: history, store: store, logger: context.logger).runOnce(branch: branch)
        if args.backupID == nil, try await history.latestCompleted(branch: branch) == nil, try await history.dumpInProgress(branch: branch) {
            throw JobSnooze(for: Self.waitForDump, "no completed dump of branch \(branch) yet, and one is being made: the drill waits for it")
        }
        let drill = RestoreDrill(
            restorer: DumpRestorer(settings: settings, store: store, logger: context.logger),
            history: history, database: database, logger: context.logger)
        let report: RestoreDrill.Report
        do { report = try await drill.run(backupID: args.backupID, progress: context.progress) } catch let error as DumpError {
            // Not a completed dump: nothing to restore, and retrying will not make it one.
            if case .notCompleted = error { throw JobDiscard("restore drill refused: \(error)") }
            throw error
        }
        guard report.passed else {
            // Worded as the row records it: an encrypted dump drilled without its identity is
            // unverified, not failed.
            let verdict = report.verdict == "unverified" ? "UNVERIFIED" : "failed"
            throw JobDiscard("restore drill of backup \(report.backupID) \(verdict): \(report.reason ?? "tables differ from the dump")")
        }
    }
}
