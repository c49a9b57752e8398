import Database
import Foundation
import JobQueue
import NightshiftCore

/// `generate-extrato`: closes a month (seed 001). Verifies the backup first (unless
/// EXTRATO_REQUIRE_BACKUP=false), then moves the month's records into the extrato in the
/// transaction that completes the job, so the close commits exactly once or not at all.
public struct GenerateExtratoJob: JobKind {
    public struct Args: Codable, Sendable {
        /// Default: the previous month in TZ.
        public var year: Int?
        public var month: Int?
        public var force: Bool?
        /// The branch (BRANCH_ID) the close is for, as backup-month's: its month and log name
        /// this branch, whichever branch's worker claims it. Nil: the worker's.
        public var branch: String?
        public init(year: Int? = nil, month: Int? = nil, force: Bool? = nil, branch: String? = nil) {
            self.year = year
            self.month = month
            self.force = force
            self.branch = branch
        }

        /// The month named, or nil for "the previous month".
        func studioMonth() throws(InvalidInput) -> StudioMonth? {
            switch (year, month) {
            case let (year?, month?): return try StudioMonth(year: year, month: month)
            case (nil, nil): return nil
            case (nil, _?): throw InvalidInput(field: "year", "give both year and month, or neither (the previous month)")
            case (_?, nil): throw InvalidInput(field: "month", "give both year and month, or neither (the previous month)")
            }
        }
    }

    public static let kind = "generate-extrato"
    public static let maxAttempts: Int? = 20
    public static let timeout: Duration? = .seconds(3600)

    public static func validate(_ args: Args) throws(InvalidInput) {
        _ = try args.studioMonth()
        try BranchSettings.validateArgument(args.branch)
    }

    public let settings: BackOfficeSettings
    public init(settings: BackOfficeSettings) { self.settings = settings }

    public func run(_ args: Args, context: JobContext) async throws {
        let settings = settings.forBranch(args.branch)
        let month = try args.studioMonth() ?? StudioMonth.previous(of: Date(), in: settings.timeZone)
        // A month not over yet is refused for good: retrying does not end it sooner.
        do { try month.requireEnded(at: Date(), in: settings.timeZone) } catch { throw JobDiscard("\(error.field ?? "month"): \(error.message)") }
        let force = args.force ?? false
        let generator = ExtratoGenerator(logger: context.logger)
        let started = ContinuousClock.now
        do {
            var checked: BackupVerifier.Report?
            if settings.requireBackup {
                checked = try await BackupVerifier(client: context.client, baseDirectory: settings.backupDirectory, encryption: settings.encryption, logger: context.logger)
                    .verified(month).report
            }
            let held = checked
            let outcome = try await context.completeInTransaction { connection in
                try await generator.close(month, force: force, jobID: context.job.id, backedUp: held?.heldLive, backedUpTotals: held?.heldTotals, backedUpRecords: held?.heldRecords, backedUpFingerprint: held?.heldFingerprint,
                                          on: connection)
            }
            context.logger.info("extrato \(outcome == .alreadyGenerated ? "already generated" : "generated")", metadata: ["month": "\(month)", "branch": "\(settings.branch.id)"])
        } catch let fenced as JobFenced {
            throw fenced
        } catch {
            // The close rolled back; the failed attempt is still on record, outside it.
            try? await generator.logRun(month, status: "failed", moved: [:], started: started,
                                        error: DatabaseErrorMessage.describe(error), message: nil, forced: force,
                                        jobID: context.job.id, on: context.client)
            // A month too large for its extrato stays too large: no retry.
            if let tooLarge = error as? ExtratoTooLarge { throw JobDiscard("\(tooLarge)") }
            throw error
        }
    }
}
