import Database
import Foundation
import NightshiftCore
import PostgresNIO

/// What an enqueue did: inserted a new row, or matched a job that holds the unique key.
public struct EnqueueResult: Sendable, Equatable, Codable {
    public var id: Int64
    public var state: JobState
    public var inserted: Bool
}

extension JobStore {
    /// Inserts a job, or returns the job that already holds its unique key.
    ///
    /// A unique key is held by a job that is available, scheduled, running, retryable or
    /// succeeded (``JobState/uniqueStates``); then no row is inserted (`inserted == false`).
    /// Once the latest job with the key is discarded or cancelled, the key is free again. The
    /// partial unique index enforces this, so racing enqueuers insert one row between them.
    /// Pass a connection to enqueue inside your own transaction.
    public func enqueue(_ job: NewJob, on runner: (any QueryRunner)? = nil) async throws -> EnqueueResult {
        let ((id, state), inserted) = try await enqueue(job, on: runner, returning: "id, state::text") { row in
            try row.decode((Int64, String).self)
        }
        return EnqueueResult(id: id, state: JobState(rawValue: state) ?? .available, inserted: inserted)
    }

    /// ``enqueue(_:on:)`` returning the whole row it inserted or matched, in the same round trip
    /// (the API answers an enqueue with the job).
    public func enqueueReturningRecord(_ job: NewJob, on runner: (any QueryRunner)? = nil) async throws -> (record: JobRecord, inserted: Bool) {
        let (record, inserted) = try await enqueue(job, on: runner, returning: Self.recordColumns, Self.record)
        return (record, inserted)
    }

    func enqueue<Row>(
        _ job: NewJob, on runner: (any QueryRunner)?, returning columns: String, _ decode: (PostgresRow) throws -> Row
    ) async throws -> (Row, Bool) {
        try job.validate()
        let runner = runner ?? client
        if !job.dependsOn.isEmpty { return try await enqueueDependent(job, on: runner, returning: columns, decode) }
        // A conflicting row can be invisible to this statement's snapshot (committed after it
        // began) or leave the key's states meanwhile; then ask again.
        for _ in 0..<10 {
            let rows = try await runner.run("""
                WITH ins AS (
                    INSERT INTO jobs (kind, queue, args, state, priority, max_attempts, run_at, unique_key)
                    VALUES (\(job.kind), \(job.queue), \(job.args)::jsonb,
                            CASE WHEN \(job.runAt)::timestamptz > now() THEN 'scheduled'::job_state ELSE 'available'::job_state END,
                            \(job.priority), \(job.maxAttempts), COALESCE(\(job.runAt)::timestamptz, now()), \(job.uniqueKey))
                    \(unescaped: JobSQL.onUniqueKeyConflict)
                    DO NOTHING
                    RETURNING *
                ), notified AS (
                    SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue) FROM ins WHERE state = 'available'
                )
                SELECT \(unescaped: columns), true FROM ins WHERE (SELECT count(*) FROM notified) >= 0
                UNION ALL
                SELECT \(unescaped: columns), false FROM jobs
                WHERE unique_key = \(job.uniqueKey) AND state IN (\(unescaped: JobSQL.uniqueStates))
                  AND NOT EXISTS (SELECT 1 FROM ins)
                LIMIT 1
                """, logger: logger)
            if let found = try await firstRow(rows, of: job, decode) { return found }
        }
        throw EnqueueError.uniqueKeyContended(job.uniqueKey ?? "")
    }

    /// The row an enqueue statement returned (the inserted job, flagged true, or the job that
    /// holds the unique key, flagged false), with the `enqueued` event for an insert; nil when
    /// it returned none (the key changed hands meanwhile: the caller asks again).
    func firstRow<Row>(_ rows: PostgresRowSequence, of job: NewJob, _ decode: (PostgresRow) throws -> Row) async throws -> (Row, Bool)? {
        for try await row in rows {
            let value = try decode(row)
            let cells = row.makeRandomAccess()
            let inserted = try cells[cells.count - 1].decode(Bool.self)
            if inserted {
                let id = try cells[0].decode(Int64.self)
                events.emit(JobEvent(.enqueued, jobID: id, kind: job.kind, queue: job.queue, maxAttempts: job.maxAttempts))
            }
            return (value, inserted)
        }
        return nil
    }

    /// Inserts many jobs in one statement (one round trip, one notification per queue).
    /// Jobs whose unique key is taken are skipped. Returns the ids inserted, in order.
    @discardableResult
    public func enqueueBatch(_ jobs: [NewJob], on runner: (any QueryRunner)? = nil) async throws -> [Int64] {
        guard !jobs.isEmpty else { return [] }
        for job in jobs {
            try job.validate()
            guard job.dependsOn.isEmpty else {
                throw InvalidInput(field: "depends_on", "a batch enqueue takes no dependencies: enqueue a job that waits for others on its own")
            }
        }
        let runner = runner ?? client
        // Only a batch with unique keys can skip jobs; only then say which keys went in, so a
        // plain batch costs what it always did.
        let keyed = jobs.contains { $0.uniqueKey != nil }
        let rows = try await runner.run("""
            WITH input AS (
                SELECT * FROM unnest(
                    \(jobs.map(\.kind))::text[], \(jobs.map(\.queue))::text[], \(jobs.map(\.args))::text[],
                    \(jobs.map(\.priority))::smallint[], \(jobs.map(\.maxAttempts))::int[],
                    \(jobs.map { $0.runAt ?? Self.noDate })::timestamptz[], \(jobs.map { $0.uniqueKey ?? "" })::text[]
                ) WITH ORDINALITY AS t(kind, queue, args, priority, max_attempts, run_at, unique_key, n)
            ), ins AS (
                INSERT INTO jobs (kind, queue, args, state, priority, max_attempts, run_at, unique_key)
                SELECT kind, queue, args::jsonb,
                       CASE WHEN run_at > now() THEN 'scheduled'::job_state ELSE 'available'::job_state END,
                       priority, max_attempts, COALESCE(run_at, now()), unique_key
                FROM (SELECT kind, queue, args, priority, max_attempts, NULLIF(run_at, 'epoch') AS run_at,
                             NULLIF(unique_key, '') AS unique_key, n FROM input) AS cleaned
                ORDER BY n
                \(unescaped: JobSQL.onUniqueKeyConflict)
                DO NOTHING
                RETURNING id, state, queue, unique_key
            ), notified AS (
                SELECT pg_notify(\(Self.notificationChannel), 'available:' || queue)
                FROM (SELECT DISTINCT queue FROM ins WHERE state = 'available') q
            )
            SELECT coalesce(array_agg(id ORDER BY id), '{}'),
                   \(unescaped: keyed ? "coalesce(array_agg(unique_key) FILTER (WHERE unique_key IS NOT NULL), '{}')" : "'{}'::text[]")
            FROM ins WHERE (SELECT count(*) FROM notified) >= 0
            """, logger: logger)
        // One array instead of a row per job: the driver's cost per row was a third of the time.
        for try await (ids, insertedKeys) in rows.decode(([Int64], [String]).self) {
            events.emit(Self.enqueuedEvents(jobs, insertedKeys: Set(insertedKeys)))
            return ids
        }
        return []
    }

    /// One `enqueued` event per kind and queue of a batch: every job without a unique key went
    /// in, and of those with one, one job per key the database reported.
    static func enqueuedEvents(_ jobs: [NewJob], insertedKeys: Set<String>) -> [JobEvent] {
        var counts: [String: [String: Int]] = [:]
        var unclaimed = insertedKeys
        for job in jobs {
            if let key = job.uniqueKey, unclaimed.remove(key) == nil { continue }
            counts[job.kind, default: [:]][job.queue, default: 0] += 1
        }
        return counts.sorted { $0.key < $1.key }.flatMap { kind, queues in
            queues.sorted { $0.key < $1.key }.map { JobEvent(.enqueued, jobID: nil, kind: kind, queue: $0.key, count: $0.value) }
        }
    }
}

extension JobStore {
    /// Stands for "no run_at" in the batch arrays (postgres-nio binds no arrays of optionals).
    static let noDate = Date(timeIntervalSince1970: 0)
}

public enum EnqueueError: NightshiftError {
    case uniqueKeyContended(String)
    public var description: String {
        switch self {
        case .uniqueKeyContended(let key):
            return "unique key '\(key)' kept changing hands while enqueuing: try again"
        }
    }
    public var category: ErrorCategory { .conflict }
}
