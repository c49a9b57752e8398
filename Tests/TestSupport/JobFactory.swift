import Foundation
import JobQueue
import PostgresNIO

/// Inserts jobs in any state at any time, as a test needs them (River's testfactory.Job):
/// a running job whose heartbeat stopped ten minutes ago, a succeeded one finished 31 days ago.
/// Fields left out get what that state implies: running jobs have an attempt, a worker and a
/// heartbeat; finished jobs a `finished_at`; scheduled jobs a `run_at` an hour ahead.
public enum JobFactory {
    @discardableResult
    public static func insert(
        _ client: PostgresClient, kind: String = "noop", queue: String, state: JobState = .available,
        args: String = "{}", attempt: Int? = nil, maxAttempts: Int = 20, runAt: Date? = nil, uniqueKey: String? = nil,
        lockedBy: String? = nil, heartbeatAt: Date? = nil, attemptedAt: Date? = nil, finishedAt: Date? = nil
    ) async throws -> Int64 {
        let now = Date()
        let running = state == .running
        let finished = state == .succeeded || state == .discarded || state == .cancelled
        let rows = try await client.query("""
            INSERT INTO jobs (kind, queue, args, state, attempt, max_attempts, run_at, unique_key, locked_by,
                              heartbeat_at, attempted_at, finished_at)
            VALUES (\(kind), \(queue), \(args)::jsonb, \(state.rawValue)::job_state,
                    \(attempt ?? (running || finished ? 1 : 0)), \(maxAttempts),
                    \(runAt ?? (state == .scheduled ? now.addingTimeInterval(3600) : now)), \(uniqueKey),
                    \(lockedBy ?? (running ? "factory/1" : nil)), \(heartbeatAt ?? (running ? now : nil)),
                    \(attemptedAt ?? (running || finished ? now : nil)), \(finishedAt ?? (finished ? now : nil)))
            RETURNING id
            """, logger: TestDatabase.logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw TimedOut(what: "insert returned no id", timeout: .zero)
    }

    /// Moves existing jobs to `state` as if they had ended there (a test standing in for a
    /// worker), with `finished_at` for the finished states.
    public static func mark(_ ids: [Int64], _ state: JobState, on client: PostgresClient) async throws {
        try await client.query("""
            UPDATE jobs SET state = \(state.rawValue)::job_state, heartbeat_at = NULL,
                            finished_at = CASE WHEN \(state.rawValue) IN ('succeeded', 'discarded', 'cancelled') THEN now() END
            WHERE id = ANY(\(ids)::bigint[])
            """, logger: TestDatabase.logger)
    }
}
