import JobQueue
import PostgresNIO

extension TestKinds {
    /// The model-based test's job (QueueModelTests). Each run of its handler writes what it saw
    /// into `nightshift_model_runs`: a `start` row, in its own statement, with the claim number
    /// (attempt + snoozes: one more per claim, whatever happened between) and the state of every
    /// dependency at that moment; and, only when the attempt succeeds, a `done` row in the
    /// transaction that marks the job succeeded — so a `done` row is a committed effect, and a
    /// SIGKILLed attempt leaves none. What it does is in its arguments: snooze its first
    /// `snoozes` runs, hold each run `holdMilliseconds` (honouring cancellation), fail the
    /// attempts listed in `fails`, succeed otherwise.
    public struct ModelJob: JobKind {
        public struct Args: Codable, Sendable, Equatable {
            public var snoozes: Int
            public var fails: [Int]
            public var holdMilliseconds: Int
            public init(snoozes: Int, fails: [Int], holdMilliseconds: Int) {
                self.snoozes = snoozes
                self.fails = fails
                self.holdMilliseconds = holdMilliseconds
            }
        }
        public static let kind = "test-model"
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws { try await Self.perform(args, context: context) }

        static func perform(_ args: Args, context: JobContext) async throws {
            let job = context.job
            var snoozed = 0
            let rows = try await context.client.query("""
                INSERT INTO nightshift_model_runs (job_id, attempt, claim, event, worker, deps)
                SELECT j.id, \(job.attempt), j.attempt + j.snoozes, 'start', j.locked_by,
                       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.depends_on, 'state', x.state,
                                                                     'on_failure', e.on_failure) ORDER BY e.depends_on), '[]')
                        FROM job_dependencies e LEFT JOIN jobs x ON x.id = e.depends_on WHERE e.job_id = j.id)
                FROM jobs j WHERE j.id = \(job.id)
                RETURNING (SELECT snoozes FROM jobs WHERE id = \(job.id))
                """, logger: context.logger)
            for try await count in rows.decode(Int.self) { snoozed = count }
            if snoozed < args.snoozes { throw JobSnooze(for: .milliseconds(60), "model snooze \(snoozed + 1) of \(args.snoozes)") }
            if args.holdMilliseconds > 0 { try await Task.sleep(for: .milliseconds(args.holdMilliseconds)) }
            if args.fails.contains(job.attempt) { throw ModelFailure(attempt: job.attempt) }
            try await context.completeInTransaction { connection in
                try await connection.query("""
                    INSERT INTO nightshift_model_runs (job_id, attempt, claim, event, worker, deps)
                    SELECT id, attempt, attempt + snoozes, 'done', locked_by, '[]' FROM jobs WHERE id = \(job.id)
                    """, logger: context.logger)
            }
        }
    }

    /// ``ModelJob`` under a second kind name, so a bulk action's kind filter matches part of a run.
    public struct ModelJobB: JobKind {
        public typealias Args = ModelJob.Args
        public static let kind = "test-model-b"
        public init() {}
        public func run(_ args: Args, context: JobContext) async throws { try await ModelJob.perform(args, context: context) }
    }

    /// A planned failure: the model expects exactly these in a job's `errors`.
    public struct ModelFailure: Error, CustomStringConvertible {
        public var attempt: Int
        public var description: String { "model failure on attempt \(attempt)" }
    }
}
