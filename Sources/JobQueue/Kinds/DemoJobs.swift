import NightshiftCore

/// Sleeps for a while, honouring cancellation: for the demo, and to try shutdown, cancel and
/// timeouts on a real deployment (`nightshift enqueue demo-sleep --args '{"milliseconds": 5000}'`).
public struct DemoSleepJob: JobKind {
    public struct Args: Codable, Sendable {
        public var milliseconds: Int
        public init(milliseconds: Int) { self.milliseconds = milliseconds }
    }
    public static let kind = "demo-sleep"
    public init() {}

    public static func validate(_ args: Args) throws(InvalidInput) {
        guard (0...86_400_000).contains(args.milliseconds) else {
            throw InvalidInput(field: "milliseconds", "milliseconds must be 0…86400000 (a day), got \(args.milliseconds)")
        }
    }

    public func run(_ args: Args, context: JobContext) async throws {
        try await Task.sleep(for: .milliseconds(args.milliseconds))
    }
}

/// Fails its first `failTimes` attempts, then succeeds: for the demo, and to check that retries,
/// discards and failure alerts reach the people who should see them
/// (`nightshift enqueue demo-flaky --args '{"failTimes": 99}' --max-attempts 1`).
public struct DemoFlakyJob: JobKind {
    public struct Args: Codable, Sendable {
        public var failTimes: Int
        public init(failTimes: Int) { self.failTimes = failTimes }
    }
    public static let kind = "demo-flaky"
    public init() {}

    public func run(_ args: Args, context: JobContext) async throws {
        if context.job.attempt <= args.failTimes { throw DemoFailure(attempt: context.job.attempt) }
    }

    public struct DemoFailure: NightshiftError {
        public var attempt: Int
        public var description: String { "demo failure on attempt \(attempt), as asked" }
        public var category: ErrorCategory { .internalFailure }
    }
}
