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
        try registry.register(ExclusiveJob())
        try registry.register(ProbeJob())
        try registry.register(TwoPerWorkerJob())
        try registry.register(SnoozeJob())
        try registry.register(ModelJob())
        try registry.register(ModelJobB())
    }

    /// At most one running across every worker per `group`: on start it writes how many of
    /// its group the `jobs` table shows running (`start:N`), sleeps, then writes `end`.
    public struct ExclusiveJob: JobKind {
        public struct Args: Codable, Sendable {
            public var group: String
            public var milliseconds: Int
            public init(group: String, milliseconds: Int) {
                self.group = group
                self.milliseconds = milliseconds
            }
        }
        public static let kind = "test-exclusive"
        public static var limit: KindLimit? { .global(1, partitionBy: "group") }
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws {
            try await RunningProbe.record(context, "start", """
                SELECT count(*)::int FROM jobs WHERE kind = '\(Self.kind)' AND state = 'running' AND args->>'group' = $1
                """, args.group)
            try await Task.sleep(for: .milliseconds(args.milliseconds))
            try await RunningProbe.record(context, "end", nil, args.group)
        }
    }

    /// Writes `start` and `end` around its sleep, so a test can count how many ran at once.
    public struct ProbeJob: JobKind {
        public struct Args: Codable, Sendable {
            public var milliseconds: Int
            public init(milliseconds: Int) { self.milliseconds = milliseconds }
        }
        public static let kind = "test-probe"
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws {
            try await RunningProbe.record(context, "start", nil, "")
            try await Task.sleep(for: .milliseconds(args.milliseconds))
            try await RunningProbe.record(context, "end", nil, "")
        }
    }

    /// ``ProbeJob`` with a limit of two running on one worker.
    public struct TwoPerWorkerJob: JobKind {
        public typealias Args = ProbeJob.Args
        public static let kind = "test-two-per-worker"
        public static var limit: KindLimit? { .perWorker(2) }
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws { try await ProbeJob().run(args, context: context) }
    }

    enum RunningProbe {
        /// Writes `label:count` (or `label`) into `nightshift_test_effects` at the database's clock.
        static func record(_ context: JobContext, _ label: String, _ countSQL: String?, _ parameter: String) async throws {
            var marker = label
            if let countSQL {
                var binds = PostgresBindings()
                binds.append(parameter)
                let rows = try await context.client.query(PostgresQuery(unsafeSQL: countSQL, binds: binds), logger: context.logger)
                for try await count in rows.decode(Int.self) { marker += ":\(count)" }
            }
            try await context.client.query("""
                INSERT INTO nightshift_test_effects (job_id, attempt, marker, created_at)
                VALUES (\(context.job.id), \(context.job.attempt), \(marker), clock_timestamp())
                """, logger: context.logger)
        }
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

    /// Snoozes `times` times for `milliseconds` each (it reads its own `snoozes` column), then
    /// succeeds.
    public struct SnoozeJob: JobKind {
        public struct Args: Codable, Sendable {
            public var times: Int
            public var milliseconds: Int
            public init(times: Int, milliseconds: Int) {
                self.times = times
                self.milliseconds = milliseconds
            }
        }
        public static let kind = "test-snooze"
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws {
            var snoozed = 0
            for try await count in try await context.client.query("SELECT snoozes FROM jobs WHERE id = \(context.job.id)",
                                                                   logger: context.logger).decode(Int.self) { snoozed = count }
            if snoozed < args.times { throw JobSnooze(for: .milliseconds(args.milliseconds), "not yet (\(snoozed + 1) of \(args.times))") }
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
