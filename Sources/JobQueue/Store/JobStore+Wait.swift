import Foundation

extension JobStore {
    /// The job once it has finished (succeeded, discarded or cancelled), or as it is when
    /// `timeout` runs out; nil when there is no such job. Polls its row, handing each look at
    /// it to `seen` (to show the job's progress while it runs).
    public func waitUntilFinished(_ id: Int64, timeout: Duration, poll: Duration = .milliseconds(200),
                                  seen: (JobRecord) -> Void = { _ in }) async throws -> JobRecord? {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let job = try await job(id) else { return nil }
            seen(job)
            if [.succeeded, .discarded, .cancelled].contains(job.state) || ContinuousClock.now >= deadline { return job }
            try await Task.sleep(for: min(poll, deadline - .now))
        }
    }
}
