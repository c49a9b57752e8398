import Foundation
import NightshiftCore
import PostgresNIO

extension JobStore {
    public struct RescueResult: Sendable, Equatable {
        public var retried: [Int64] = []
        public var discarded: [Int64] = []
    }

    /// Returns running jobs whose heartbeat is older than `staleAfter` to `retryable` (to run
    /// again at once), or `discarded` when their attempts are used up, recording why. Rows
    /// another rescuer holds are skipped, so any number of workers may run this. `now` is the
    /// database's clock unless a caller (a test) passes one. Each rescued job is a `failed` or
    /// `discarded` event.
    public func rescueStuckJobs(staleAfter: Duration, queues: [String] = [], limit: Int = 1_000, now: Date? = nil) async throws -> RescueResult {
        let seconds = staleAfter.timeInterval
        let rows = try await client.query("""
            WITH stuck AS (
                SELECT id FROM jobs
                WHERE state = 'running'
                  AND heartbeat_at < coalesce(\(now)::timestamptz, now()) - make_interval(secs => \(seconds))
                  AND (cardinality(\(queues)::text[]) = 0 OR queue = ANY(\(queues)::text[]))
                ORDER BY heartbeat_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET
                state = CASE WHEN attempt >= max_attempts THEN 'discarded'::job_state ELSE 'retryable'::job_state END,
                run_at = now(),
                finished_at = CASE WHEN attempt >= max_attempts THEN now() END,
                heartbeat_at = NULL,
                last_error = 'rescued: worker ' || coalesce(locked_by, '?') || ' stopped heartbeating',
                errors = errors || jsonb_build_array(jsonb_build_object(
                    'at', now(), 'attempt', attempt, 'worker', locked_by,
                    'error', 'rescued: worker ' || coalesce(locked_by, '?') || ' stopped heartbeating'))
            FROM stuck WHERE jobs.id = stuck.id
            RETURNING jobs.id, jobs.state::text, jobs.kind, jobs.queue, jobs.args::text, jobs.attempt, jobs.max_attempts,
                      jobs.last_error
            """, logger: logger)
        var result = RescueResult()
        for try await (id, state, kind, queue, args, attempt, maxAttempts, error)
            in rows.decode((Int64, String, String, String, String, Int, Int, String).self) {
            let discarded = state == JobState.discarded.rawValue
            if discarded { result.discarded.append(id) } else { result.retried.append(id) }
            events.emit(JobEvent(discarded ? .discarded : .failed, jobID: id, kind: kind, queue: queue, attempt: attempt,
                                 maxAttempts: maxAttempts, args: args, error: error, retryIn: discarded ? nil : .zero))
        }
        return result
    }
}
