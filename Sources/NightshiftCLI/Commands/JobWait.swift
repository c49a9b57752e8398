import Foundation
import JobQueue

/// Waits for a job a command enqueued to finish.
enum JobWait {
    static func finished(_ id: Int64, store: JobStore, timeout: Duration) async throws -> JobRecord {
        guard let job = try await store.waitUntilFinished(id, timeout: timeout) else { throw CommandFailure("job \(id) not found") }
        guard [.succeeded, .discarded, .cancelled].contains(job.state) else {
            throw CommandFailure("job \(id) did not finish within \(timeout): see `nightshift jobs show \(id)`")
        }
        return job
    }
}
