import Foundation
import NightshiftCore

/// A whole `jobs` row, as the CLI and API show it.
public struct JobRecord: Sendable, Codable, Equatable {
    public struct AttemptError: Sendable, Codable, Equatable {
        public var at: String
        public var attempt: Int
        public var worker: String?
        public var error: String
    }

    public var id: Int64
    public var kind: String
    public var queue: String
    public var args: String
    public var state: JobState
    public var priority: Int
    public var attempt: Int
    public var maxAttempts: Int
    public var runAt: Date
    public var uniqueKey: String?
    public var createdAt: Date
    public var attemptedAt: Date?
    public var finishedAt: Date?
    public var heartbeatAt: Date?
    public var lockedBy: String?
    public var lastError: String?
    public var errors: [AttemptError]
    public var result: String?
    public var cancelRequestedAt: Date?
    /// What the job last said of how far it has got (``JobContext/progress``), with the attempt
    /// it came from; kept after the job ends.
    public var progress: JobProgress? = nil
    /// Times a handler snoozed the job (``JobSnooze``), and what it said the last time.
    public var snoozes: Int = 0
    public var snoozeReason: String? = nil
    /// The jobs this one waits for (`job_dependencies`), by id.
    public var dependsOn: [Int64] = []
}

/// A job's progress as stored in `jobs.progress`: ``WorkProgress``'s fields, flat, plus the
/// attempt that reported it and when (`at`, seconds since 1970), so SQL can read it plainly:
/// `SELECT progress->>'done' FROM jobs WHERE state = 'running'`.
public struct JobProgress: Sendable, Codable, Equatable {
    public var attempt: Int
    public var at: Date
    public var progress: WorkProgress

    enum CodingKeys: String, CodingKey { case attempt, at }

    public init(attempt: Int, at: Date, progress: WorkProgress) {
        self.attempt = attempt
        self.at = at
        self.progress = progress
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        attempt = try container.decode(Int.self, forKey: .attempt)
        at = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .at))
        progress = try WorkProgress(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try progress.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(at.timeIntervalSince1970, forKey: .at)
    }
}
