import Database
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage

/// `backup-month`: writes the month's CSV backup (seed 002). An existing valid backup is left
/// as it is and the job succeeds, unless `force`; a closed month gets a new version only for
/// records that arrived after its close (see ``MonthBackupWriter/create(_:force:jobID:progress:)``).
public struct BackupMonthJob: JobKind {
    public struct Args: Codable, Sendable {
        public var year: Int
        public var month: Int
        public var force: Bool?
        /// The branch (BRANCH_ID) the backup is for, filled by the schedule, the API and
        /// `nightshift enqueue` as dumps are: whichever branch's worker claims it, the copy goes
        /// under this branch's `{branch}/monthly/` (break-office2 18). Nil: the worker's.
        public var branch: String?
        public init(year: Int, month: Int, force: Bool? = nil, branch: String? = nil) {
            self.year = year
            self.month = month
            self.force = force
            self.branch = branch
        }
    }

    public static let kind = "backup-month"
    public static let maxAttempts: Int? = 10
    public static let timeout: Duration? = .seconds(3 * 3600)

    public static func validate(_ args: Args) throws(InvalidInput) {
        _ = try StudioMonth(year: args.year, month: args.month)
        try BranchSettings.validateArgument(args.branch)
    }

    public let settings: BackOfficeSettings
    /// The database the COPY connection opens (the worker's own).
    public let database: DatabaseURL
    /// The bucket the CSV and manifest are copied to, when there is one.
    public let offsite: (any ObjectStore)?
    public init(settings: BackOfficeSettings, database: DatabaseURL, offsite: (any ObjectStore)? = nil) {
        self.settings = settings
        self.database = database
        self.offsite = offsite
    }

    public func run(_ args: Args, context: JobContext) async throws {
        let month = try StudioMonth(year: args.year, month: args.month)
        let settings = settings.forBranch(args.branch)
        let writer = MonthBackupWriter(database: database, baseDirectory: settings.backupDirectory, encryption: settings.encryption,
                                       logger: context.logger)
        let manifest: BackupManifest
        var existed = false
        switch try await writer.create(month, force: args.force ?? false, jobID: context.job.id, progress: context.progress) {
        case .created(let made):
            manifest = made
            context.logger.info("backup created", metadata: ["month": "\(month)", "records": "\(made.totalRecords)", "encrypted": "\(made.encryption != nil)"])
        case .alreadyExists(let existing):
            manifest = existing
            existed = true
        case .readopted(let rebuilt):
            manifest = rebuilt
            context.logger.warning("the backup's manifest was missing: rebuilt it from the intact backup files", metadata: [
                "month": "\(month)", "files": "\(rebuilt.versions.map(\.file).joined(separator: ", "))",
            ])
        }
        let location = BackupLocation(baseDirectory: settings.backupDirectory, month: month, encrypted: manifest.encryption != nil,
                                      version: manifest.version ?? 1)
        if let offsite {
            // Uploads only files that match their manifest; restores a damaged one from the bucket.
            try await OffsiteCopy(store: offsite, branch: settings.branch.id).upload(location, manifest: manifest)
        } else {
            let damaged = location.damagedVersions(of: manifest)
            if !damaged.isEmpty { throw BackupError.damaged(month, problems: damaged) }
        }
        if existed {
            context.logger.info("backup already exists and its files match their manifest; not rewritten", metadata: ["month": "\(month)"])
        }
    }
}
