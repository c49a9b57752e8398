import ArgumentParser
import BackOffice
import Foundation
import NightshiftCore
import JobQueue

struct BackupsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Make a dump now (type manual): enqueues a nightly-dump job for a worker and, with --wait, waits for it.")
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Wait for the dump to finish and show it.") var wait = false
    @Option(help: "How long --wait waits.") var timeout: DurationArgument = .init(.seconds(6 * 3600))

    func run() async throws {
        let (wait, timeout) = (self.wait, self.timeout.duration)
        let settings = try database.settings()
        let job = try NewJob(NightlyDumpJob.self, args: .init(type: .manual, branch: settings.backOffice.branch.id))
        try await CommandDatabase.with(settings) { client, logger in
            let store = JobStore(client: client, logger: logger)
            let result = try await store.enqueue(job)
            print("nightly-dump job \(result.id) enqueued (type manual)")
            guard wait else { return }
            let finished = try await JobWait.finished(result.id, store: store, timeout: timeout, label: "dump")
            guard finished.state == .succeeded else {
                throw CommandFailure("the dump \(finished.state.rawValue): \(finished.lastError ?? "no error recorded"); see `nightshift jobs show \(result.id)`")
            }
            let rows = try await BackupHistory(client: client, logger: logger).list(branch: settings.backOffice.branch.id, limit: 20)
            if let row = rows.first(where: { $0.jobID == result.id && $0.status == .completed }) {
                print("backup \(row.id): \(row.localPath ?? "-"), \(row.sizeBytes.map(ByteCount.text) ?? "?"), sha256 \(row.sha256 ?? "?")\(row.objectKey.map { ", object \($0)" } ?? "")")
            }
        }
    }
}
