import Foundation

/// A paused queue: no worker claims from it until it is resumed. Kept in `queue_pauses`, so it
/// holds across restarts and for every worker on every machine.
public struct QueuePause: Sendable, Codable, Equatable {
    public var queue: String
    public var pausedAt: Date
    /// Who paused it: the API token's subject, or `user@host` from the CLI.
    public var pausedBy: String
    public var reason: String?

    public init(queue: String, pausedAt: Date, pausedBy: String, reason: String?) {
        self.queue = queue
        self.pausedAt = pausedAt
        self.pausedBy = pausedBy
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey { case queue, pausedAt = "paused_at", pausedBy = "paused_by", reason }
}
