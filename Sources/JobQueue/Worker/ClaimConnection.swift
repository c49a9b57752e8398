import Database

/// The worker's hot path to the database — claims and batched completions — on a libpq
/// connection of its own, as prepared statements. Measured on the development machine, a claim
/// of 50 rows cost the worker about 45 µs of CPU this way against about 400 µs through
/// PostgresNIO's pooled client (docs/benchmarks.md), and every job passes through here.
/// Everything else the worker writes (failures, heartbeats, hand-backs, transactional
/// completions) goes through the shared PostgresNIO client.
final class ClaimConnection: Sendable {
    private let session: LibPQSession
    /// The kinds the hot claim leaves to their own path (``KindLimit``), as an array literal once.
    private let excludedKinds: String

    init(url: DatabaseURL, workerID: String, excludingKinds: [String] = []) {
        session = LibPQSession(url: url, applicationName: "nightshift-worker \(workerID)")
        excludedKinds = ArrayLiteral.text(excludingKinds.sorted())
    }

    /// Claims up to `limit` jobs for `worker`, at most each queue's `limit` from it (its free
    /// slots), and records `completing` in the same statement (``JobStore/claimSQL``).
    func claim(_ queues: [WorkerQueue], limit: Int, worker: String, completing: [AttemptRef]) async throws -> JobStore.ClaimResult {
        // Completions in id order, as heartbeats lock their rows (``JobStore/heartbeat(_:)``).
        let completing = completing.sorted()
        let parameters: [String?] = [
            ArrayLiteral.integers(completing.map(\.id)), ArrayLiteral.integers(completing.map(\.attempt)),
            ArrayLiteral.text(queues.map(\.name)), String(limit), worker,
            ArrayLiteral.integers(queues.map(\.limit)), excludedKinds,
        ]
        return try await session.run { connection in
            let rows = try connection.execute(prepared: "nightshift_claim", JobStore.claimSQL, parameters)
            var result = JobStore.ClaimResult()
            result.jobs.reserveCapacity(limit)
            for row in 0..<rows.rowCount {
                let id = rows.int(row, 1)
                guard rows.bool(row, 0) else {
                    result.fenced.append(AttemptRef(id: id, attempt: Int(rows.int(row, 5))))
                    continue
                }
                result.jobs.append(ClaimedJob(
                    id: id, kind: rows.string(row, 2), queue: rows.string(row, 3), args: rows.string(row, 4),
                    attempt: Int(rows.int(row, 5)), maxAttempts: Int(rows.int(row, 6))))
            }
            return result
        }
    }

    /// Marks attempts succeeded (``JobStore/completeBatchSQL``); returns those fenced off.
    func markSucceeded(_ attempts: [AttemptRef]) async throws -> [AttemptRef] {
        guard !attempts.isEmpty else { return [] }
        let attempts = attempts.sorted()
        let parameters: [String?] = [
            ArrayLiteral.integers(attempts.map(\.id)), ArrayLiteral.integers(attempts.map(\.attempt)),
        ]
        let updated = try await session.run { connection in
            let rows = try connection.execute(prepared: "nightshift_complete", JobStore.completeBatchSQL, parameters)
            return Set((0..<rows.rowCount).map { rows.int($0, 0) })
        }
        return JobStore.fenced(attempts, updated: updated)
    }

    func close() { session.close() }
}
