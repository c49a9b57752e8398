import Logging
import PostgresNIO

/// The `jobs` table's queries. Each extension file holds one operation and its SQL.
public struct JobStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    /// The channel workers LISTEN on. Payloads: `available:<queue>` and `cancel:<job id>`.
    public static let notificationChannel = "nightshift_jobs"

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }
}
