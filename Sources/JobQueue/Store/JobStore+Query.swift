import Foundation
import PostgresNIO

/// Filters for listing jobs, newest first.
public struct JobFilter: Sendable {
    public var states: [JobState] = []
    public var kind: String?
    public var queue: String?
    public var createdAfter: Date?
    public var createdBefore: Date?
    /// Only jobs with a smaller id: the cursor of the page before.
    public var beforeID: Int64?
    public var limit: Int = 50
    public init(states: [JobState] = [], kind: String? = nil, queue: String? = nil, createdAfter: Date? = nil,
                createdBefore: Date? = nil, beforeID: Int64? = nil, limit: Int = 50) {
        self.states = states
        self.kind = kind
        self.queue = queue
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.beforeID = beforeID
        self.limit = limit
    }
}

/// Jobs per queue and state, and how long the oldest available job has waited.
public struct QueueStats: Sendable, Codable, Equatable {
    public var queue: String
    public var counts: [String: Int]
    public var oldestAvailableAgeSeconds: Double?
}

extension JobStore {

    public func job(_ id: Int64) async throws -> JobRecord? {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.recordColumns)
            FROM jobs WHERE id = \(id)
            """, logger: logger)
        for try await row in rows { return try Self.record(row) }
        return nil
    }

    public func jobs(_ filter: JobFilter) async throws -> [JobRecord] {
        let states = filter.states.map(\.rawValue)
        let rows = try await client.query("""
            SELECT \(unescaped: Self.recordColumns)
            FROM jobs
            WHERE (cardinality(\(states)::text[]) = 0 OR state::text = ANY(\(states)::text[]))
              AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
              AND (\(filter.queue)::text IS NULL OR queue = \(filter.queue))
              AND (\(filter.createdAfter)::timestamptz IS NULL OR created_at >= \(filter.createdAfter))
              AND (\(filter.createdBefore)::timestamptz IS NULL OR created_at < \(filter.createdBefore))
              AND (\(filter.beforeID)::bigint IS NULL OR id < \(filter.beforeID))
            ORDER BY id DESC
            LIMIT \(filter.limit)
            """, logger: logger)
        var records: [JobRecord] = []
        for try await row in rows { records.append(try Self.record(row)) }
        return records
    }

    public func queueStats() async throws -> [QueueStats] {
        let rows = try await client.query("""
            SELECT queue, state::text, jobs::int, oldest_available_age_seconds::float8
            FROM job_queue_stats ORDER BY queue, state
            """, logger: logger)
        return try await Self.queueStats(from: rows)
    }

    /// Rows of (queue, state, jobs, oldest available age), in queue order, as one value per queue.
    static func queueStats(from rows: PostgresRowSequence) async throws -> [QueueStats] {
        var byQueue: [String: QueueStats] = [:]
        var order: [String] = []
        for try await (queue, state, count, age) in rows.decode((String, String, Int, Double?).self) {
            if byQueue[queue] == nil {
                order.append(queue)
                byQueue[queue] = QueueStats(queue: queue, counts: [:], oldestAvailableAgeSeconds: nil)
            }
            byQueue[queue]!.counts[state] = count
            if let age { byQueue[queue]!.oldestAvailableAgeSeconds = age }
        }
        return order.map { byQueue[$0]! }
    }

    /// The columns ``record(_:)`` decodes, in its order.
    static let recordColumns = """
        id, kind, queue, args::text, state::text, priority::int, attempt, max_attempts, run_at, unique_key,
        created_at, attempted_at, finished_at, heartbeat_at, locked_by, last_error, errors::text, result::text,
        cancel_requested_at, progress::text, snoozes, snooze_reason,
        (SELECT coalesce(array_agg(d.depends_on ORDER BY d.depends_on), '{}') FROM job_dependencies d WHERE d.job_id = id)
        """

    static func record(_ row: PostgresRow) throws -> JobRecord {
        let (id, kind, queue, args, state, priority, attempt, maxAttempts, runAt, uniqueKey) =
            try row.decode((Int64, String, String, String, String, Int, Int, Int, Date, String?).self)
        let cells = row.makeRandomAccess()
        let createdAt = try cells[10].decode(Date.self)
        let attemptedAt = try cells[11].decode(Date?.self)
        let finishedAt = try cells[12].decode(Date?.self)
        let heartbeatAt = try cells[13].decode(Date?.self)
        let lockedBy = try cells[14].decode(String?.self)
        let lastError = try cells[15].decode(String?.self)
        let errorsJSON = try cells[16].decode(String.self)
        let result = try cells[17].decode(String?.self)
        let cancelRequestedAt = try cells[18].decode(Date?.self)
        let progress = try cells[19].decode(String?.self).flatMap { try? JSONDecoder().decode(JobProgress.self, from: Data($0.utf8)) }
        let errors = (try? JSONDecoder().decode([JobRecord.AttemptError].self, from: Data(errorsJSON.utf8))) ?? []
        return JobRecord(
            id: id, kind: kind, queue: queue, args: args, state: JobState(rawValue: state) ?? .available,
            priority: priority, attempt: attempt, maxAttempts: maxAttempts, runAt: runAt, uniqueKey: uniqueKey,
            createdAt: createdAt, attemptedAt: attemptedAt, finishedAt: finishedAt, heartbeatAt: heartbeatAt,
            lockedBy: lockedBy, lastError: lastError, errors: errors, result: result,
            cancelRequestedAt: cancelRequestedAt, progress: progress, snoozes: try cells[20].decode(Int.self),
            snoozeReason: try cells[21].decode(String?.self), dependsOn: try cells[22].decode([Int64].self))
    }
}
