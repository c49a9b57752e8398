import Cron
import Database
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage

/// `nightly-dump`: a `pg_dump` of the database, kept locally and in the store, recorded in
/// `backup_history` (seeds 003 and 004). `{"type": "manual"}` for one made by hand.
public struct NightlyDumpJob: JobKind {
    public struct Args: Codable, Sendable {
        /// The branch's day the scheduled run is for (its unique key); informational.
        public var date: String?
        /// `daily` (default, the schedule's) or `manual`.
        public var type: String?
        /// The branch (BRANCH_ID) the dump is for, filled by the schedule and `backups create`:
        /// one dump per branch runs at a time, over every worker.
        public var branch: String?
        public init(date: String? = nil, type: BackupRecord.Kind? = nil, branch: String? = nil) {
            self.date = date
            self.type = type?.rawValue
            self.branch = branch
        }
    }

    /// A manual dump and the nightly one never run together (nor two of either).
    public static var limit: KindLimit? { .global(1, partitionBy: "branch") }

    public static let kind = "nightly-dump"
    public static let maxAttempts: Int? = 5
    public static let timeout: Duration? = .seconds(6 * 3600)

    public static func validate(_ args: Args) throws(InvalidInput) {
        try BranchSettings.validateArgument(args.branch)
        if let date = args.date, LocalDate(iso: date) == nil {
            throw InvalidInput(field: "date", "date '\(date)' is not a day like 2026-11-30")
        }
        if let type = args.type, type != BackupRecord.Kind.daily.rawValue && type != BackupRecord.Kind.manual.rawValue {
            throw InvalidInput(field: "type", "type '\(type)' is not daily or manual")
        }
    }

    public let settings: BackOfficeSettings
    public let database: DatabaseURL
    public let store: (any ObjectStore)?

    public init(settings: BackOfficeSettings, database: DatabaseURL, store: (any ObjectStore)?) {
        self.settings = settings
        self.database = database
        self.store = store
    }

    public func run(_ args: Args, context: JobContext) async throws {
        // The branch the job names, whichever branch's worker claimed it (a dump of B is
        // named, locked and recorded as B's).
        let settings = settings.forBranch(args.branch)
        let dumper = DatabaseDumper(settings: settings, database: settings.dumps.database ?? database, store: store,
                                    history: BackupHistory(client: context.client, logger: context.logger), logger: context.logger)
        _ = try await dumper.dump(type: args.type.flatMap(BackupRecord.Kind.init(rawValue:)) ?? .daily,
                                  attempt: .init(jobID: context.job.id, number: context.job.attempt), progress: context.progress)
    }
}
