import Database
import Foundation
import JobQueue
import Logging
import PostgresNIO

/// The `scheduler_slots` table: which slots were fired, by whom, with which jobs.
public struct SlotStore: Sendable {
    public let jobs: JobStore
    var client: PostgresClient { jobs.client }
    var logger: Logger { jobs.logger }

    public init(jobs: JobStore) {
        self.jobs = jobs
    }

    /// Records the slot and enqueues its jobs in one transaction. Returns nil when another
    /// scheduler fired this slot already (nothing is enqueued then).
    public func fire(_ schedule: Schedule, slot: Date, by instance: String) async throws -> [EnqueueResult]? {
        let newJobs = try schedule.newJobs(for: slot)
        return try await Transaction.run(on: client, logger: logger) { connection in
            let claimed = try await connection.query("""
                INSERT INTO scheduler_slots (schedule, slot, enqueued_by) VALUES (\(schedule.name), \(slot), \(instance))
                ON CONFLICT (schedule, slot) DO NOTHING
                RETURNING 1
                """, logger: logger)
            var won = false
            for try await _ in claimed.decode(Int.self) { won = true }
            guard won else { return nil }
            var results: [EnqueueResult] = []
            for job in newJobs { results.append(try await jobs.enqueue(job, on: connection)) }
            try await connection.query("""
                UPDATE scheduler_slots SET job_ids = \(results.map(\.id))::bigint[], inserted = \(results.map(\.inserted))::boolean[]
                WHERE schedule = \(schedule.name) AND slot = \(slot)
                """, logger: logger)
            return results
        }
    }

    /// Enqueues one slot's jobs now (`nightshift schedules run`, a manual retry) and records
    /// the slot as fired by `instance`, as ``fire(_:slot:by:)`` does, even when a scheduler fired
    /// it before: the unique keys keep the jobs from doubling, and the schedule's status then
    /// shows this run's jobs.
    public func runNow(_ schedule: Schedule, slot: Date, by instance: String) async throws -> [EnqueueResult] {
        let newJobs = try schedule.newJobs(for: slot)
        return try await Transaction.run(on: client, logger: logger) { connection in
            var results: [EnqueueResult] = []
            for job in newJobs { results.append(try await jobs.enqueue(job, on: connection)) }
            try await connection.query("""
                INSERT INTO scheduler_slots (schedule, slot, enqueued_by, job_ids, inserted)
                VALUES (\(schedule.name), \(slot), \(instance), \(results.map(\.id))::bigint[], \(results.map(\.inserted))::boolean[])
                ON CONFLICT (schedule, slot) DO UPDATE
                SET enqueued_by = EXCLUDED.enqueued_by, enqueued_at = now(), job_ids = EXCLUDED.job_ids, inserted = EXCLUDED.inserted
                """, logger: logger)
            return results
        }
    }

    /// The latest slot a schedule fired, and its jobs with their states now.
    public struct LastSlot: Sendable, Equatable {
        public var slot: Date
        public var jobIDs: [Int64]
        public var jobStates: [String]
    }

    /// The latest fired slot of each schedule, by schedule name.
    public func lastSlots() async throws -> [String: LastSlot] {
        let rows = try await client.query("""
            SELECT schedule, slot, job_ids, coalesce(job_states, '{}') FROM schedule_last_slots
            """, logger: logger)
        var result: [String: LastSlot] = [:]
        for try await (schedule, slot, ids, states) in rows.decode((String, Date, [Int64], [String]).self) {
            result[schedule] = LastSlot(slot: slot, jobIDs: ids, jobStates: states)
        }
        return result
    }
}
