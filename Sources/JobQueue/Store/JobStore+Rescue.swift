import Database
import Foundation
import NightshiftCore
import PostgresNIO

extension JobStore {
    public struct RescueResult: Sendable, Equatable {
        public var retried: [Int64] = []
        public var discarded: [Int64] = []
        /// Jobs whose rescue failed (each tried on its own after the pass failed as a whole):
        /// logged, left for the next pass; the others were rescued.
        public var failed: [Int64] = []
        /// Jobs an operator had asked to stop: their dead attempt ends them `cancelled`.
        public var cancelled: [Int64] = []
    }

    /// Returns running jobs whose heartbeat is older than `staleAfter` to `retryable` (to run
    /// again at once), or `discarded` when their attempts are used up, recording why; one an
    /// operator asked to stop ends `cancelled` (a dead worker never undoes a cancel). Rows
    /// another rescuer holds are skipped, so any number of workers may run this. `now` is the
    /// database's clock unless a caller (a test) passes one. Each rescued job is a `failed` or
    /// `discarded` event. Retried on a lock conflict; if the pass still fails, each job is
    /// rescued on its own, so one job whose write fails never keeps the others `running`.
    public func rescueStuckJobs(staleAfter: Duration, queues: [String] = [], limit: Int = 1_000, now: Date? = nil) async throws -> RescueResult {
        do {
            return try await LockConflict.retrying(logger: logger, "rescue") {
                try await rescue(staleAfter: staleAfter, queues: queues, limit: limit, now: now, only: nil)
            }
        } catch where !DatabaseErrorMessage.isUnavailable(error) {
            logger.warning("rescuer pass failed as a whole; rescuing job by job", metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
        }
        var result = RescueResult()
        let ids = try await client.query("""
            SELECT id FROM jobs
            WHERE state = 'running'
              AND heartbeat_at < coalesce(\(now)::timestamptz, now()) - make_interval(secs => \(staleAfter.timeInterval))
              AND (cardinality(\(queues)::text[]) = 0 OR queue = ANY(\(queues)::text[]))
            ORDER BY heartbeat_at LIMIT \(limit)
            """, logger: logger).decode(Int64.self)
        var stuck: [Int64] = []
        for try await id in ids { stuck.append(id) }
        for id in stuck {
            do {
                let one = try await LockConflict.retrying(logger: logger, "rescue") {
                    try await rescue(staleAfter: staleAfter, queues: queues, limit: 1, now: now, only: id)
                }
                result.retried += one.retried
                result.discarded += one.discarded
                result.cancelled += one.cancelled
            } catch {
                if DatabaseErrorMessage.isUnavailable(error) { throw error }
                logger.error("could not rescue job", metadata: ["job": "\(id)", "error": "\(DatabaseErrorMessage.describe(error))"])
                result.failed.append(id)
            }
        }
        return result
    }

    private func rescue(staleAfter: Duration, queues: [String], limit: Int, now: Date?, only: Int64?) async throws -> RescueResult {
        let seconds = staleAfter.timeInterval
        let rows = try await client.query("""
            WITH stuck AS (
                SELECT id FROM jobs
                WHERE state = 'running'
                  AND heartbeat_at < coalesce(\(now)::timestamptz, now()) - make_interval(secs => \(seconds))
                  AND (cardinality(\(queues)::text[]) = 0 OR queue = ANY(\(queues)::text[]))
                  AND (\(only)::bigint IS NULL OR id = \(only))
                ORDER BY heartbeat_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET
                state = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'::job_state
                             WHEN attempt >= max_attempts THEN 'discarded'::job_state ELSE 'retryable'::job_state END,
                run_at = now(),
                finished_at = CASE WHEN cancel_requested_at IS NOT NULL OR attempt >= max_attempts THEN now() END,
                cancelled_by = CASE WHEN cancel_requested_at IS NOT NULL THEN 'operator' END,
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
            if state == JobState.cancelled.rawValue {
                result.cancelled.append(id)
                events.emit(JobEvent(.cancelled, jobID: id, kind: kind, queue: queue, attempt: attempt,
                                     maxAttempts: maxAttempts, args: args, error: error, retryIn: nil))
                continue
            }
            let discarded = state == JobState.discarded.rawValue
            if discarded { result.discarded.append(id) } else { result.retried.append(id) }
            events.emit(JobEvent(discarded ? .discarded : .failed, jobID: id, kind: kind, queue: queue, attempt: attempt,
                                 maxAttempts: maxAttempts, args: args, error: error, retryIn: discarded ? nil : .zero))
        }
        return result
    }
}
