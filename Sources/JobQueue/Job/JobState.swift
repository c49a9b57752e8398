/// Where a job is in its life. The values are the `job_state` enum in Postgres.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waits for other jobs (its dependencies) to succeed; out of the claim path until then.
    case pending
    case available, scheduled, running, retryable, succeeded, discarded, cancelled

    /// States a unique key stays taken in: enqueuing the key again returns this job. Discarded
    /// and cancelled jobs free their key, so the same work can be enqueued again after a
    /// failure for good. `jobs_unique_key_idx` (Migrations/0001_jobs.sql) has the same list;
    /// a test checks they agree.
    public static let uniqueStates: [JobState] = [.pending, .available, .scheduled, .running, .retryable, .succeeded]

    /// Succeeded, discarded or cancelled: the job will not run again unless retried by hand.
    public var isFinished: Bool { self == .succeeded || self == .discarded || self == .cancelled }
}
