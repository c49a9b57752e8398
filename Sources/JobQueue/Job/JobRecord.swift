import Foundation

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
}
