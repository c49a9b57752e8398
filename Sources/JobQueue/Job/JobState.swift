/// Where a job is in its life. The values are the `job_state` enum in Postgres.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case available, scheduled, running, retryable, succeeded, discarded, cancelled

    /// States a unique key stays taken in: enqueuing the key again returns this job.
    public static let uniqueStates: [JobState] = [.available, .scheduled, .running, .retryable, .succeeded]

    public var isFinal: Bool { self == .succeeded || self == .discarded || self == .cancelled }
}
