import Database
import NightshiftCore
import PostgresNIO

public enum RetryOutcome: Sendable, Equatable {
    case retried
    case notRetryable(JobState)
    /// A newer job holds the same unique key (the safety net enqueued it again, say).
    case uniqueKeyTaken
    case notFound
}

extension JobStore {
    /// Puts a discarded or cancelled job back to `available` for a manual retry. Its errors are
    /// kept as history; `attempt` is kept too, and `max_attempts` is raised so that the job gets
    /// `extraAttempts` more tries beyond those already made.
    public func retry(_ id: Int64, extraAttempts: Int = 1) async throws -> RetryOutcome {
        do {
            return try await retryQuery(id, extraAttempts: extraAttempts)
        } catch where DatabaseErrorMessage.sqlState(error) == "23505" {
            return .uniqueKeyTaken
        }
    }

    private func retryQuery(_ id: Int64, extraAttempts: Int) async throws -> RetryOutcome {
        let rows = try await client.query("""
            WITH target AS (SELECT id, state FROM jobs WHERE id = \(id) FOR UPDATE),
            retried AS (
                UPDATE jobs SET state = 'available', run_at = now(), finished_at = NULL,
                                cancel_requested_at = NULL,
                                max_attempts = greatest(jobs.max_attempts, jobs.attempt + \(extraAttempts))
                FROM target WHERE jobs.id = target.id AND target.state IN ('discarded', 'cancelled')
                RETURNING jobs.id, jobs.queue
            ), notified AS (
                SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue) FROM retried
            )
            SELECT target.state::text, EXISTS (SELECT 1 FROM retried) AND (SELECT count(*) FROM notified) >= 0
            FROM target
            """, logger: logger)
        for try await (state, retried) in rows.decode((String, Bool).self) {
            return retried ? .retried : .notRetryable(JobState(rawValue: state) ?? .available)
        }
        return .notFound
    }
}
