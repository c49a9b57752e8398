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
    /// Puts a discarded or cancelled job back to `available` for a manual retry (`pending` while
    /// a dependency of it has not succeeded). Its errors are kept as history; `attempt` is kept
    /// too, and `max_attempts` is raised so that the job gets `extraAttempts` more tries beyond
    /// those already made. Jobs that were cancelled because this one failed wait for it again.
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
                \(unescaped: Self.retrySQL(from: "target", extraAttempts: String(max(0, extraAttempts))))
            ), revived AS (
                \(unescaped: Self.reviveDependentsSQL(of: "retried"))
            ), notified AS (
                SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue) FROM retried WHERE state = 'available'
            )
            SELECT target.state::text, EXISTS (SELECT 1 FROM retried) AND (SELECT count(*) FROM notified) >= 0
                   AND (SELECT count(*) FROM revived) >= 0
            FROM target
            """, logger: logger)
        for try await (state, retried) in rows.decode((String, Bool).self) {
            let current = JobState(rawValue: state) ?? .available
            if retried { return .retried }
            // Discarded or cancelled and still not retried: a job with its unique key stands for it.
            return current == .discarded || current == .cancelled ? .uniqueKeyTaken : .notRetryable(current)
        }
        return .notFound
    }

    /// The UPDATE that retries the discarded or cancelled jobs whose ids `from` holds (a CTE
    /// with an `id` column). A job whose unique key another job holds now is left out (a bulk
    /// retry would otherwise fail on the unique index), as is one a newer job with its key
    /// already stands for. Returns id, queue and the new state.
    static func retrySQL(from: String, extraAttempts: String) -> String {
        """
        UPDATE jobs SET state = CASE WHEN EXISTS (\(unmetDependencySQL(of: "jobs")))
                                     THEN 'pending'::job_state ELSE 'available'::job_state END,
                        run_at = now(), finished_at = NULL, cancel_requested_at = NULL,
                        max_attempts = greatest(jobs.max_attempts, jobs.attempt + \(extraAttempts))
        FROM \(from) WHERE jobs.id = \(from).id AND jobs.state IN ('discarded', 'cancelled')
          AND (jobs.unique_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM jobs h WHERE h.unique_key = jobs.unique_key AND h.id <> jobs.id
                    AND (h.state IN (\(JobSQL.uniqueStates)) OR h.id > jobs.id)))
        RETURNING jobs.id, jobs.queue, jobs.state
        """
    }

    /// A dependency of job `alias` that keeps it waiting: not succeeded, and not finished where
    /// the job asked to run anyway.
    static func unmetDependencySQL(of alias: String) -> String {
        """
        SELECT 1 FROM job_dependencies e JOIN jobs x ON x.id = e.depends_on
        WHERE e.job_id = \(alias).id AND x.state <> 'succeeded'
          AND NOT (e.on_failure = 'run' AND x.state IN ('discarded', 'cancelled'))
        """
    }

    /// Jobs that were cancelled because a job `retried` holds failed (the release trigger's
    /// reason) go back to `pending`, to wait for it again; one level (their own dependents stay
    /// cancelled until retried).
    static func reviveDependentsSQL(of retried: String) -> String {
        """
        UPDATE jobs d SET state = 'pending', finished_at = NULL, cancel_requested_at = NULL
        FROM job_dependencies e
        WHERE e.depends_on IN (SELECT id FROM \(retried)) AND d.id = e.job_id AND d.state = 'cancelled'
          AND d.last_error LIKE 'cancelled: dependency %'
          AND (d.unique_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM jobs h WHERE h.unique_key = d.unique_key AND h.state IN (\(JobSQL.uniqueStates))))
        RETURNING d.id
        """
    }
}
