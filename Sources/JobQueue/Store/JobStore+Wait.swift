import Foundation

extension JobStore {
    /// The job once it has finished (succeeded, discarded or cancelled), or as it is when
    /// `timeout` runs out; nil when there is no such job. Polls its row.
    public func waitUntilFinished(_ id: Int64, timeout: Duration, poll: Duration = .milliseconds(200)) async throws -> JobRecord? {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let job = try await job(id) else { return nil }
            if [.succeeded, .discarded, .cancelled].contains(job.state) || ContinuousClock.now >= deadline { return job }
            try await Task.sleep(for: min(poll, deadline - .now))
        }
    }
}
