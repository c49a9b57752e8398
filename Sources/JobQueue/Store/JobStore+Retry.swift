import Database
import NightshiftCore
import PostgresNIO

public enum RetryOutcome: Sendable, Equatable {
    case retried
    case notRetryable(JobState)
    /// Another job holds the same unique key (the safety net enqueued it again, say), or a
    /// newer job with the key stands for this one.
    case uniqueKeyTaken
    /// A job this one waits for failed (discarded, cancelled, or gone): retry that one, which
    /// brings this one back with it, instead.
    case dependencyFailed(dependency: Int64)
    case notFound
}

/// What a retry did to the jobs that wait for the retried ones.
public struct DependentsRevival: Sendable, Equatable {
    /// A dependent left cancelled, and why.
    public enum Skip: Sendable, Equatable {
        /// Job `holder` holds its unique key (a live job, or another revived one, newer).
        case uniqueKeyHeld(holder: Int64?)
        /// Another dependency of it failed too.
        case dependencyFailed(Int64)
    }

    /// Dependents that a retried job's failure had cancelled, now waiting again (`pending`).
    public var revived: [Int64] = []
    public var skipped: [(id: Int64, reason: Skip)] = []

    public init() {}

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.revived == rhs.revived && lhs.skipped.map(\.id) == rhs.skipped.map(\.id)
            && lhs.skipped.map(\.reason) == rhs.skipped.map(\.reason)
    }
}

/// A retry's outcome for each job it was asked to retry, and what it did to their dependents.
public struct RetryReport: Sendable, Equatable {
    public var outcomes: [Int64: RetryOutcome] = [:]
    /// The state each retried job is in now: `available`, or `pending` while it waits.
    public var states: [Int64: JobState] = [:]
    public var dependents = DependentsRevival()

    public var retried: Int { outcomes.values.filter { $0 == .retried }.count }
}

extension JobStore {
    /// Puts a discarded or cancelled job back to `available` for a manual retry (`pending` while
    /// a dependency of it has not finished). Refused when a dependency of it failed: retry that
    /// one instead. Its errors are kept as history; `attempt` is kept too, and `max_attempts`
    /// is raised so that the job gets `extraAttempts` more tries beyond those already made.
    /// Jobs that were cancelled because this one failed wait for it again, transitively (never
    /// one an operator cancelled; one whose unique key another job holds is left, and
    /// reported). The rules are SQL's `nightshift_retry` (migration 0014).
    public func retry(_ id: Int64, extraAttempts: Int = 1) async throws -> RetryOutcome {
        try await retryReport(id, extraAttempts: extraAttempts).outcomes[id] ?? .notFound
    }

    /// ``retry(_:extraAttempts:)`` with what it did to the job's dependents.
    public func retryReport(_ id: Int64, extraAttempts: Int = 1) async throws -> RetryReport {
        try await LockConflict.retrying(logger: logger, "retry") {
            try await Transaction.run(on: client, logger: logger) { connection in
                try await retry([id], extraAttempts: extraAttempts, on: connection)
            }
        }
    }

    /// Retries `ids` in the caller's transaction.
    func retry(_ ids: [Int64], extraAttempts: Int, on runner: any QueryRunner) async throws -> RetryReport {
        let rows = try await runner.run("""
            SELECT job_id, outcome, state::text, related FROM nightshift_retry(\(ids)::bigint[], \(max(0, extraAttempts))::int)
            """, logger: logger)
        var report = RetryReport()
        for try await (id, outcome, state, related) in rows.decode((Int64, String, String?, Int64?).self) {
            let current = state.flatMap(JobState.init(rawValue:))
            switch outcome {
            case "retried":
                report.outcomes[id] = .retried
                report.states[id] = current
            case "not_retryable": report.outcomes[id] = .notRetryable(current ?? .available)
            case "unique_key_taken": report.outcomes[id] = .uniqueKeyTaken
            case "dependency_failed": report.outcomes[id] = .dependencyFailed(dependency: related ?? 0)
            case "not_found": report.outcomes[id] = .notFound
            case "revived": report.dependents.revived.append(id)
            case "revive_skipped": report.dependents.skipped.append((id, .uniqueKeyHeld(holder: related)))
            case "revive_failed": report.dependents.skipped.append((id, .dependencyFailed(related ?? 0)))
            default: logger.warning("unknown retry outcome", metadata: ["outcome": "\(outcome)", "job": "\(id)"])
            }
        }
        return report
    }
}
