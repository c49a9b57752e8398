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

    /// Another scheduler's different definition of the same schedule, found at the same slot.
    public struct OtherDefinition: Sendable, Equatable {
        public var definition: String
        public var enqueuedBy: String
        /// The kinds its slot enqueued.
        public var kinds: [String]
    }

    /// Records the slot and enqueues its jobs in one transaction. `results` is nil when another
    /// scheduler fired this slot of this same definition already (nothing is enqueued then).
    /// A slot is keyed by the schedule's name and its definition (``Schedule/definition(of:)``):
    /// a scheduler whose file defines the schedule differently fires its own slot, and
    /// `others` lists the definitions that fired the slot before this one.
    ///
    /// `catchingUp`: the slot is one a scheduler's first pass looks back at (its catch-up). Then
    /// a slot any definition fired counts as fired — a scheduler restarted after an edit of its
    /// SCHEDULES_FILE (or TZ, or key namespace) neither fires it again nor takes its own earlier
    /// run for another scheduler (break-office2 4) — and `others` are those earlier definitions,
    /// to note, not a disagreement: only two schedulers firing a slot as it comes disagree.
    public func fire(_ schedule: Schedule, slot: Date, by instance: String,
                     catchingUp: Bool = false) async throws -> (results: [EnqueueResult]?, others: [OtherDefinition]) {
        let newJobs = try schedule.newJobs(for: slot)
        let definition = schedule.definition(of: newJobs)
        return try await Transaction.run(on: client, logger: logger) { connection in
            // Two schedulers of different definitions firing at once: the second waits, then
            // sees the first's row and reports it.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("slot:" + schedule.name)), hashtext(\(slot.timeIntervalSince1970.description)))",
                                       logger: logger)
            // A slot fired before migration 0016 (definition '') counts as fired by this definition:
            // an upgrade neither fires it again nor reports a disagreement.
            let claimed = try await connection.query("""
                INSERT INTO scheduler_slots (schedule, slot, enqueued_by, definition)
                SELECT \(schedule.name), \(slot), \(instance), \(definition)
                WHERE NOT EXISTS (SELECT 1 FROM scheduler_slots WHERE schedule = \(schedule.name) AND slot = \(slot)
                                  AND (definition = '' OR \(catchingUp)))
                ON CONFLICT (schedule, slot, definition) DO NOTHING
                RETURNING 1
                """, logger: logger)
            var won = false
            for try await _ in claimed.decode(Int.self) { won = true }
            var others: [OtherDefinition] = []
            for try await (other, by, kinds) in try await connection.query("""
                SELECT s.definition, s.enqueued_by,
                       coalesce((SELECT array_agg(j.kind ORDER BY j.id) FROM jobs j WHERE j.id = ANY(s.job_ids)), '{}')
                FROM scheduler_slots s
                WHERE s.schedule = \(schedule.name) AND s.slot = \(slot) AND s.definition NOT IN (\(definition), '')
                ORDER BY s.enqueued_at
                """, logger: logger).decode((String, String, [String]).self) {
                others.append(OtherDefinition(definition: other, enqueuedBy: by, kinds: kinds))
            }
            guard won else { return (nil, others) }
            var results: [EnqueueResult] = []
            for job in newJobs { results.append(try await jobs.enqueue(job, on: connection)) }
            try await connection.query("""
                UPDATE scheduler_slots SET job_ids = \(results.map(\.id))::bigint[], inserted = \(results.map(\.inserted))::boolean[]
                WHERE schedule = \(schedule.name) AND slot = \(slot) AND definition = \(definition)
                """, logger: logger)
            return (results, others)
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
                INSERT INTO scheduler_slots (schedule, slot, enqueued_by, job_ids, inserted, definition)
                VALUES (\(schedule.name), \(slot), \(instance), \(results.map(\.id))::bigint[], \(results.map(\.inserted))::boolean[],
                        \(schedule.definition(of: newJobs)))
                ON CONFLICT (schedule, slot, definition) DO UPDATE
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

    /// The latest slot any scheduler fired for the schedule, or nil.
    public func lastFired(_ schedule: String) async throws -> Date? {
        for try await slot in try await client.query("SELECT max(slot) FROM scheduler_slots WHERE schedule = \(schedule)", logger: logger)
            .decode(Date?.self) { return slot }
        return nil
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
