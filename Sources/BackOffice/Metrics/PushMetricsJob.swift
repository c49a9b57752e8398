import Cron
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage

/// `push-metrics`: pushes a day's summary (default: today in the branch's zone) to
/// `{branch}/metrics/{date}.json`, then catches up on the last 14 days.
public struct PushMetricsJob: JobKind {
    public struct Args: Codable, Sendable {
        public var date: String?
        public init(date: String? = nil) { self.date = date }
    }

    public static let kind = "push-metrics"
    public static let maxAttempts: Int? = 10
    public static let timeout: Duration? = .seconds(1800)

    public static func validate(_ args: Args) throws(InvalidInput) {
        if let date = args.date, LocalDate(iso: date) == nil {
            throw InvalidInput(field: "date", "date '\(date)' is not a day like 2026-11-30")
        }
    }

    public let settings: BackOfficeSettings
    public let store: any ObjectStore

    public init(settings: BackOfficeSettings, store: any ObjectStore) {
        self.settings = settings
        self.store = store
    }

    public func run(_ args: Args, context: JobContext) async throws {
        let publisher = MetricsPublisher(branch: settings.branch, store: store, client: context.client, logger: context.logger)
        let today = LocalDate(containing: Date(), in: settings.branch.timeZone)
        let day = args.date.flatMap { LocalDate(iso: $0) } ?? today
        try await publisher.push(day)
        try await publisher.catchUp(today: today)
    }
}
