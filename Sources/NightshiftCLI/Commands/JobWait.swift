import Foundation
import JobQueue
import Logging
import PostgresNIO

/// Waits for a job a command enqueued to finish, polling its row.
enum JobWait {
    static func finished(_ id: Int64, store: JobStore, timeout: Duration) async throws -> JobRecord {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let job = try await store.job(id), [.succeeded, .discarded, .cancelled].contains(job.state) { return job }
            guard ContinuousClock.now < deadline else {
                throw CommandFailure("job \(id) did not finish within \(timeout): see `nightshift jobs show \(id)`")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
