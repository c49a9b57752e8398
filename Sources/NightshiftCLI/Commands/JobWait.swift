import Foundation
import JobQueue
import Logging

/// Waits for a job a command enqueued to finish, showing the progress it reports meanwhile.
enum JobWait {
    static func finished(_ id: Int64, store: JobStore, timeout: Duration, label: String) async throws -> JobRecord {
        let progress = TerminalProgress(label, logger: store.logger)
        let found = try await store.waitUntilFinished(id, timeout: timeout) { job in
            if job.state == .running, let reported = job.progress, reported.attempt == job.attempt { progress.report(reported.progress) }
        }
        progress.finish()
        guard let job = found else { throw CommandFailure("job \(id) not found") }
        guard [.succeeded, .discarded, .cancelled].contains(job.state) else {
            throw CommandFailure("job \(id) did not finish within \(timeout): see `nightshift jobs show \(id)`")
        }
        return job
    }
}
