import Logging
import PostgresNIO

/// The `jobs` table's queries. Each extension file holds one operation and its SQL; the
/// fragments several of them share are in ``JobSQL``.
public struct JobStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Where enqueues, and the workers and rescuers built on this store, report job events.
    public let events: JobEvents

    /// The channel workers LISTEN on. Payloads:
    /// - `available:<queue>`: the queue has jobs to claim (enqueue, promotion, retry, hand-back,
    ///   resume); a worker serving it claims at once instead of at its next poll.
    /// - `cancel:<job id>`: a running job was cancelled; the worker running it stops it.
    /// - `paused:<queue>`: sent by ``pause(queue:by:reason:)``. No worker acts on it: every claim
    ///   statement skips paused queues, so the pause holds from its commit on whether or not a
    ///   worker hears it; the payload is there for a listener that shows pauses as they happen.
    public static let notificationChannel = "nightshift_jobs"

    public init(client: PostgresClient, logger: Logger, events: JobEvents = .none) {
        self.client = client
        self.logger = logger
        self.events = events
    }
}
