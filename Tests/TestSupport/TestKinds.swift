import JobQueue
import PostgresNIO

/// Kinds for the crash and cancellation tests. They live in the tests only: the test worker
/// executable (`nightshift-test-worker`, the real CLI plus these) and in-process harnesses
/// register them; `nightshift_test_effects` is created by ``TestDatabase``.
public enum TestKinds {
    public static func register(in registry: inout JobRegistry) throws {
        try registry.register(SleepJob())
        try registry.register(InsertEffectJob())
        try registry.register(FailJob())
    }

    /// Sleeps, honouring cancellation.
    public struct SleepJob: JobKind {
        public struct Args: Codable, Sendable {
            public var milliseconds: Int
            public init(milliseconds: Int) { self.milliseconds = milliseconds }
        }
        public static let kind = "test-sleep"
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws {
            try await Task.sleep(for: .milliseconds(args.milliseconds))
        }
    }

    /// Inserts a row into `nightshift_test_effects` in the completing transaction. On attempt
    /// `holdOnAttempt` it holds the transaction open for `holdMilliseconds`, so a test can kill
    /// the worker inside it.
    public struct InsertEffectJob: JobKind {
        public struct Args: Codable, Sendable {
            public var marker: String
            public var holdMilliseconds: Int
            public var holdOnAttempt: Int
            public init(marker: String, holdMilliseconds: Int = 0, holdOnAttempt: Int = 1) {
                self.marker = marker
                self.holdMilliseconds = holdMilliseconds
                self.holdOnAttempt = holdOnAttempt
            }
        }
        public static let kind = "test-insert-effect"
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws {
            try await context.completeInTransaction { connection in
                try await connection.query("""
                    INSERT INTO nightshift_test_effects (job_id, attempt, marker)
                    VALUES (\(context.job.id), \(context.job.attempt), \(args.marker))
                    """, logger: context.logger)
                if args.holdMilliseconds > 0 && context.job.attempt == args.holdOnAttempt {
                    // A lock a test can probe: held exactly while this transaction is open.
                    try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(args.marker)))", logger: context.logger)
                    try await Task.sleep(for: .milliseconds(args.holdMilliseconds))
                }
            }
        }
    }

    /// Fails its first `failTimes` attempts, then succeeds.
    public struct FailJob: JobKind {
        public struct Args: Codable, Sendable {
            public var failTimes: Int
            public init(failTimes: Int) { self.failTimes = failTimes }
        }
        public static let kind = "test-fail"
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws {
            if context.job.attempt <= args.failTimes {
                throw TestFailure(attempt: context.job.attempt)
            }
        }
    }

    public struct TestFailure: Error, CustomStringConvertible {
        public var attempt: Int
        public var description: String { "test failure on attempt \(attempt)" }
    }
}
