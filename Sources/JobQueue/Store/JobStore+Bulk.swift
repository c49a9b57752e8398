import Database
import Foundation
import NightshiftCore
import PostgresNIO

/// How many jobs a bulk action matched, and the first of them, oldest first.
public struct BulkPreview: Sendable {
    public var count: Int
    public var sample: [JobRecord]
}

extension JobStore {
    /// Jobs a bulk action changes in one transaction: a batch locks at most this many rows,
    /// so workers and enqueuers never wait long behind it.
    public static let bulkBatchSize = 1_000
    /// How long a revisit waits for a row another transaction holds (a claim, a completion:
    /// milliseconds), and how many revisits a row gets before it is reported still locked.
    static let bulkRevisitLockTimeout = "2s"
    static let bulkRevisits = 10

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

    /// Acts on every job `selection` matches, as its action does one (``retry(_:extraAttempts:)``,
    /// ``cancel(_:)``), one transaction per ``bulkBatchSize`` jobs. A row another transaction
    /// holds (a worker claiming it) is skipped in its batch and revisited after the pass,
    /// waiting for the lock, until it is acted on or no longer matches. A batch that fails
    /// (after retries of lock conflicts) is reported and the rest go on. `onBatch` hears each
    /// batch's report as it commits.
    public func perform(
        _ selection: JobSelection, extraAttempts: Int = 1, onBatch: (@Sendable (BulkBatchReport) -> Void)? = nil
    ) async throws -> BulkReport {
        var report = BulkReport()
        var cursor: Int64 = 0
        var revisit: [Int64] = []
        // The pass: batches by id, rows held elsewhere put aside.
        while true {
            let matched = try await matching(selection, after: cursor)
            guard let last = matched.last else { break }
            cursor = last
            let batch = await batch(selection, ids: matched, wait: false, extraAttempts: extraAttempts)
            revisit += batch.locked
            report.add(batch.report)
            onBatch?(batch.report)
        }
        // The revisits: each waits for its rows' locks.
        var round = 0
        while !revisit.isEmpty {
            round += 1
            var next: [Int64] = []
            for start in stride(from: 0, to: revisit.count, by: Self.bulkBatchSize) {
                let ids = Array(revisit[start..<min(start + Self.bulkBatchSize, revisit.count)])
                var batch = await batch(selection, ids: ids, wait: true, extraAttempts: extraAttempts)
                if round == Self.bulkRevisits {
                    batch.report.skipped += batch.locked.map { BulkSkip(id: $0, reason: .stillLocked) }
                } else {
                    next += batch.locked
                }
                report.add(batch.report)
                onBatch?(batch.report)
            }
            revisit = next
        }
        return report
    }

    /// The ids of the next batch that matches, after `cursor`, unlocked.
    private func matching(_ selection: JobSelection, after cursor: Int64) async throws -> [Int64] {
        var query = Self.selecting(selection, "SELECT id FROM jobs WHERE id > $5 AND $MATCH ORDER BY id LIMIT \(Self.bulkBatchSize)")
        query.binds.append(cursor)
        var ids: [Int64] = []
        for try await id in try await client.query(query, logger: logger).decode(Int64.self) { ids.append(id) }
        return ids
    }

    /// One batch in one transaction: `ids` that still match are locked in id order (skipping
    /// rows held elsewhere, or, when `wait`, waiting up to ``bulkRevisitLockTimeout`` for them)
    /// and acted on. Returns its report and the ids it could not lock.
    private func batch(
        _ selection: JobSelection, ids: [Int64], wait: Bool, extraAttempts: Int
    ) async -> (report: BulkBatchReport, locked: [Int64]) {
        do {
            return try await LockConflict.retrying(logger: logger, "bulk \(selection.action.rawValue)") {
                try await Transaction.run(on: client, logger: logger) { connection in
                    if wait {
                        try await connection.query("SELECT set_config('lock_timeout', \(Self.bulkRevisitLockTimeout), true)", logger: logger)
                    }
                    var query = Self.selecting(selection, """
                        SELECT id FROM jobs WHERE id = ANY($5::bigint[]) AND $MATCH ORDER BY id FOR UPDATE\(wait ? "" : " SKIP LOCKED")
                        """)
                    query.binds.append(ids)
                    var locked: [Int64] = []
                    for try await id in try await connection.query(query, logger: logger).decode(Int64.self) { locked.append(id) }
                    var report = BulkBatchReport()
                    let unlocked = Set(ids).subtracting(locked)
                    // Rows not returned: held elsewhere (SKIP LOCKED), or no longer matching.
                    let states = try await currentStates(Array(unlocked), on: connection)
                    var heldElsewhere: [Int64] = []
                    for id in unlocked.sorted() {
                        if let state = states[id], selection.states.contains(state), !wait {
                            heldElsewhere.append(id)
                        } else {
                            report.skipped.append(BulkSkip(id: id, reason: .stateChanged(states[id] ?? .cancelled)))
                        }
                    }
                    report.lockedForLater = heldElsewhere.count
                    guard !locked.isEmpty else { return (report, heldElsewhere) }
                    switch selection.action {
                    case .cancel:
                        report.changed = try await cancelLocked(locked, on: connection)
                    case .retry:
                        let retried = try await retry(locked, extraAttempts: extraAttempts, on: connection)
                        report.changed = retried.retried
                        report.dependents = retried.dependents
                        for id in locked {
                            switch retried.outcomes[id] {
                            case .retried?: break
                            case .uniqueKeyTaken?: report.skipped.append(BulkSkip(id: id, reason: .uniqueKeyHeld(holder: nil)))
                            case .dependencyFailed(let dependency)?: report.skipped.append(BulkSkip(id: id, reason: .dependencyFailed(dependency)))
                            case .notRetryable(let state)?: report.skipped.append(BulkSkip(id: id, reason: .stateChanged(state)))
                            case .notFound?, nil: report.skipped.append(BulkSkip(id: id, reason: .stateChanged(.cancelled)))
                            }
                        }
                    }
                    return (report, heldElsewhere)
                }
            }
        } catch where wait && LockConflict.isConflict(error) {
            return (BulkBatchReport(), ids)
        } catch {
            logger.error("bulk batch failed", metadata: ["action": "\(selection.action.rawValue)", "jobs": "\(ids.count)",
                                                         "error": "\(DatabaseErrorMessage.describe(error))"])
            var report = BulkBatchReport()
            report.skipped = ids.map { BulkSkip(id: $0, reason: .batchFailed(DatabaseErrorMessage.describe(error))) }
            return (report, [])
        }
    }

    private func currentStates(_ ids: [Int64], on connection: PostgresConnection) async throws -> [Int64: JobState] {
        guard !ids.isEmpty else { return [:] }
        var states: [Int64: JobState] = [:]
        let rows = try await connection.query("SELECT id, state::text FROM jobs WHERE id = ANY(\(ids)::bigint[])", logger: logger)
        for try await (id, state) in rows.decode((Int64, String).self) { states[id] = JobState(rawValue: state) }
        return states
    }

    /// Cancels the locked `ids` as ``cancel(_:)`` does each: waiting ones at once, running ones
    /// asked to stop. Returns how many.
    private func cancelLocked(_ ids: [Int64], on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query("""
            WITH waiting AS (
                UPDATE jobs SET state = 'cancelled', finished_at = now(), cancel_requested_at = now(),
                                cancelled_by = 'operator', last_error = 'cancelled by a bulk cancel'
                WHERE id = ANY(\(ids)::bigint[]) AND state IN ('pending', 'available', 'scheduled', 'retryable')
                RETURNING id
            ), running AS (
                UPDATE jobs SET cancel_requested_at = now()
                WHERE id = ANY(\(ids)::bigint[]) AND state = 'running'
                RETURNING id, pg_notify(\(Self.notificationChannel), 'cancel:' || id)
            )
            SELECT (SELECT count(*)::int FROM waiting) + (SELECT count(*)::int FROM running)
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
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
