import ArgumentParser
import BackOffice
import Foundation
import JobQueue

struct BackupsDrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Restore a dump into a scratch database (or RESTORE_DATABASE_URL) and check every table's row count and content.",
        discussion: "Enqueues a restore-drill job. It compares each table's row count and a digest of its rows with those taken in the dump's snapshot; the verdict goes into backup_history (verification_status, verified_at, verification_details). `nightshift backups show ID` lists what it found per table.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "backup_history id (default: the branch's latest completed dump).") var id: Int64?
    @Flag(help: "Wait for the drill and show its verdict.") var wait = false
    @Option(help: "How long --wait waits.") var timeout: DurationArgument = .init(.seconds(6 * 3600))

    func run() async throws {
        let (id, wait, timeout) = (self.id, self.wait, self.timeout.duration)
        let settings = try database.settings()
        let job = try NewJob(RestoreDrillJob.self, args: .init(backupID: id, branch: settings.backOffice.branch.id))
        try await CommandDatabase.with(settings) { client, logger in
            let store = JobStore(client: client, logger: logger)
            let result = try await store.enqueue(job)
            print("restore-drill job \(result.id) enqueued")
            guard wait else { return }
            let finished = try await JobWait.finished(result.id, store: store, timeout: timeout, label: "drill")
            guard finished.state == .succeeded else {
                throw CommandFailure("the drill \(finished.state == .discarded ? "FAILED" : finished.state.rawValue): \(finished.lastError ?? "no error recorded")")
            }
            print("restore drill passed: every table's rows match the dump (see `nightshift backups show`)")
        }
    }
}
