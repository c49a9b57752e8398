import Database
import Foundation
import NightshiftCore
import PostgresNIO

/// Which jobs a bulk retry or cancel acts on: every given filter must match.
public struct JobSelection: Sendable, Equatable {
    public var states: [JobState]
    public var kinds: [String]
    public var queues: [String]
    /// Only jobs that finished at or after this instant, or, for those not finished, were
    /// created at or after it.
    public var since: Date?

    public init(states: [JobState], kinds: [String] = [], queues: [String] = [], since: Date? = nil) {
        self.states = states
        self.kinds = kinds
        self.queues = queues
        self.since = since
    }
}

/// How many jobs a bulk action matched, and the first of them, oldest first.
public struct BulkPreview: Sendable {
    public var count: Int
    public var sample: [JobRecord]
}

extension JobStore {
    /// Jobs a bulk action changes in one transaction: a batch locks at most this many rows,
    /// so workers and enqueuers never wait long behind it.
    public static let bulkBatchSize = 1_000

    /// How many jobs `selection` matches, and the first `sample` of them (by id).
    public func preview(_ selection: JobSelection, sample: Int = 20) async throws -> BulkPreview {
        var count = 0
        for try await value in try await client.query(Self.selecting(selection, "SELECT count(*)::int FROM jobs WHERE $MATCH"),
                                                      logger: logger).decode(Int.self) { count = value }
        var records: [JobRecord] = []
        let rows = try await client.query(Self.selecting(selection, """
            SELECT \(Self.recordColumns) FROM jobs WHERE $MATCH ORDER BY id LIMIT \(max(0, sample))
            """), logger: logger)
        for try await row in rows { records.append(try Self.record(row)) }
        return BulkPreview(count: count, sample: records)
    }

    /// Retries every discarded or cancelled job that `selection` matches, as ``retry(_:extraAttempts:)``
    /// does one: back to `available` (or `pending`, while a dependency has not succeeded),
    /// history kept, `max_attempts` raised; dependents cancelled because of it wait for it
    /// again. One transaction per ``bulkBatchSize`` jobs. A job whose unique key another job
    /// holds is left as it is. Returns how many were retried.
    public func retryAll(_ selection: JobSelection, extraAttempts: Int = 1) async throws -> Int {
        var selection = selection
        selection.states = selection.states.filter { $0 == .discarded || $0 == .cancelled }
        guard !selection.states.isEmpty else { return 0 }
        return try await inBatches(selection, extraAttempts: extraAttempts, """
            WITH batch AS (
                SELECT id FROM jobs WHERE id > $5 AND $MATCH ORDER BY id LIMIT \(Self.bulkBatchSize)
                FOR UPDATE SKIP LOCKED
            ), retried AS (
                \(Self.retrySQL(from: "batch", extraAttempts: "$6"))
            ), revived AS (
                \(Self.reviveDependentsSQL(of: "retried"))
            ), notified AS (
                SELECT pg_notify('\(Self.notificationChannel)', 'available:' || queue)
                FROM (SELECT DISTINCT queue FROM retried WHERE state = 'available') q
            )
            SELECT (SELECT max(id) FROM batch), (SELECT count(*)::int FROM retried) + 0 * (SELECT count(*)::int FROM notified)
            """)
    }

    /// Cancels every waiting job (pending, available, scheduled, retryable) that `selection`
    /// matches, and asks the workers running the running ones to stop them, as ``cancel(_:)``
    /// does one. One transaction per ``bulkBatchSize`` jobs. Returns how many were cancelled or
    /// asked to stop.
    public func cancelAll(_ selection: JobSelection) async throws -> Int {
        var selection = selection
        selection.states = selection.states.filter { [.pending, .available, .scheduled, .retryable, .running].contains($0) }
        guard !selection.states.isEmpty else { return 0 }
        return try await inBatches(selection, extraAttempts: 0, """
            WITH batch AS (
                SELECT id, state FROM jobs WHERE id > $5 AND $MATCH ORDER BY id LIMIT \(Self.bulkBatchSize)
                FOR UPDATE SKIP LOCKED
            ), waiting AS (
                UPDATE jobs SET state = 'cancelled', finished_at = now(), cancel_requested_at = now(),
                                last_error = 'cancelled by a bulk cancel'
                FROM batch WHERE jobs.id = batch.id AND batch.state IN ('pending', 'available', 'scheduled', 'retryable')
                RETURNING jobs.id
            ), running AS (
                UPDATE jobs SET cancel_requested_at = now()
                FROM batch WHERE jobs.id = batch.id AND batch.state = 'running'
                RETURNING jobs.id, pg_notify('\(Self.notificationChannel)', 'cancel:' || jobs.id)
            )
            SELECT (SELECT max(id) FROM batch), (SELECT count(*)::int FROM waiting) + (SELECT count(*)::int FROM running)
            """)
    }

    /// Runs `sql` (which reads `$5`, the id the last batch ended at, and may read `$6`, the extra
    /// attempts, and returns that batch's last id and how many it changed) one transaction at a
    /// time until a batch is empty. A data-modifying CTE runs whether or not it is read; the
    /// notification's SELECT runs only when read, hence `0 * count(…)`.
    private func inBatches(_ selection: JobSelection, extraAttempts: Int, _ sql: String) async throws -> Int {
        var cursor: Int64 = 0, total = 0
        while true {
            var query = Self.selecting(selection, sql)
            query.binds.append(cursor)
            query.binds.append(extraAttempts)
            let (last, changed) = try await Transaction.run(on: client, logger: logger) { connection -> (Int64?, Int) in
                for try await (last, changed) in try await connection.query(query, logger: logger).decode((Int64?, Int).self) {
                    return (last, changed)
                }
                return (nil, 0)
            }
            total += changed
            guard let last else { return total }
            cursor = last
        }
    }

    /// `sql` with `$MATCH` standing for the selection's filter, bound as `$1`…`$4`.
    static func selecting(_ selection: JobSelection, _ sql: String) -> PostgresQuery {
        let match = """
            state::text = ANY($1::text[])
            AND (cardinality($2::text[]) = 0 OR kind = ANY($2::text[]))
            AND (cardinality($3::text[]) = 0 OR queue = ANY($3::text[]))
            AND ($4::timestamptz IS NULL OR coalesce(finished_at, created_at) >= $4::timestamptz)
            """
        var binds = PostgresBindings(capacity: 6)
        binds.append(selection.states.map(\.rawValue))
        binds.append(selection.kinds)
        binds.append(selection.queues)
        binds.append(selection.since)
        return PostgresQuery(unsafeSQL: sql.replacingOccurrences(of: "$MATCH", with: match), binds: binds)
    }
}
