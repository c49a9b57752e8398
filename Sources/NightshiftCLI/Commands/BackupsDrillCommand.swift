import ArgumentParser
import BackOffice
import Foundation
import JobQueue

struct BackupsDrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Restore a dump into a scratch database (or RESTORE_DATABASE_URL) and check every table's row count and content.",
        discussion: "Enqueues a restore-drill job. It compares each table's row count and a digest of its rows with those taken in the dump's snapshot; the verdict goes into backup_history (verification_status, verified_at, verification_details). Only a completed dump is drilled: a dump still being made, failed or expired is refused. `nightshift backups show ID` lists what it found per table.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "backup_history id (default: the branch's latest completed dump).") var id: Int64?
    @Flag(help: "Wait for the drill and show its verdict.") var wait = false
    @Option(help: "How long --wait waits.") var timeout: DurationArgument = .init(.seconds(6 * 3600))

    func run() async throws {
        let (id, wait, timeout) = (self.id, self.wait, self.timeout.duration)
        let settings = try database.settings()
        let branch = settings.backOffice.branch.id
        try await CommandDatabase.with(settings) { client, logger in
            let history = BackupHistory(client: client, logger: logger)
            // The same refusal the job would give, before anything is enqueued.
            if let id {
                guard let record = try await history.record(id) else { throw CommandFailure("backup \(id) not found: see `nightshift backups list`") }
                guard record.status == .completed else { throw CommandFailure(DumpError.notCompleted(id: id, status: record.status.rawValue).description) }
            }
            let job = try NewJob(RestoreDrillJob.self, args: .init(backupID: id, branch: branch))
            let store = JobStore(client: client, logger: logger)
            let result = try await store.enqueue(job)
            print("restore-drill job \(result.id) enqueued")
            guard wait else { return }
            let finished = try await JobWait.finished(result.id, store: store, timeout: timeout, label: "drill")
            // The verdict is the backup row's (the job's state cannot tell "unverified" from "failed").
            let drilled = if let id { try await history.record(id) } else { try await history.latestCompleted(branch: branch) }
            if let record = drilled, let verdict = record.verificationStatus, let verifiedAt = record.verifiedAt,
               verifiedAt >= finished.createdAt {
                switch verdict {
                case "true":
                    print("restore drill of backup \(record.id) passed: every table's rows match the dump (see `nightshift backups show \(record.id)`)")
                    if let note = record.drillNote { print("NOTE: \(note): do not restore from the local file") }
                    return
                case "unverified":
                    throw CommandFailure("restore drill of backup \(record.id) UNVERIFIED: encrypted, and the worker that ran the drill has no BACKUP_AGE_IDENTITY_FILE; its checksum and age header were checked, its contents were not restored (see `nightshift backups show \(record.id)`)")
                default:
                    throw CommandFailure("the drill FAILED: \(finished.lastError ?? "see `nightshift backups show \(record.id)`")")
                }
            }
            guard finished.state == .succeeded else {
                throw CommandFailure("the drill \(finished.state == .discarded ? "FAILED" : finished.state.rawValue): \(finished.lastError ?? "no error recorded")")
            }
            print("restore drill passed: every table's rows match the dump (see `nightshift backups show`)")
        }
    }
}
