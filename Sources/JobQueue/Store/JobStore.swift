import Logging
import PostgresNIO

/// The `jobs` table's queries. Each extension file holds one operation and its SQL; the
/// fragments several of them share are in ``JobSQL``.
public struct JobStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Where enqueues, and the workers and rescuers built on this store, report job events.
    public let events: JobEvents

    /// The channel workers LISTEN on. Payloads: `available:<queue>` and `cancel:<job id>`.
    public static let notificationChannel = "nightshift_jobs"

    public init(client: PostgresClient, logger: Logger, events: JobEvents = .none) {
        self.client = client
        self.logger = logger
        self.events = events
    }
}
