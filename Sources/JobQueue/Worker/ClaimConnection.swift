import Database

/// The worker's hot path to the database — claims and batched completions — on a libpq
/// connection of its own, as prepared statements. Measured on the development machine, a claim
/// of 50 rows cost the worker about 45 µs of CPU this way against about 400 µs through
/// PostgresNIO's pooled client (docs/benchmarks.md), and every job passes through here.
/// Everything else the worker writes (failures, heartbeats, hand-backs, transactional
/// completions) goes through the shared PostgresNIO client.
///
/// The session plans its two statements once (``sessionSettings``): planned afresh on every
/// call, a claim of 50 spent 0.65 ms in planning against 1.5 ms in execution (docs/benchmarks.md). Both statements are written so that a generic plan reads only
/// the rows they touch (``JobStore/makeClaimSQL(excludingKinds:scanLimit:)``).
final class ClaimConnection: Sendable {
    private let session: LibPQSession
    /// The claim, with the kinds the hot path leaves to their own (``KindLimit``) and the most
    /// one claim takes from a queue written in as constants.
    let claimSQL: String
    /// The most one claim takes, in all and from each queue: the worker's claim batch.
    private let maxBatch: Int

    /// For this session only, sent at connect: generic plans, made once per statement; no
    /// sequential scans, so that a plan made while `jobs` was empty or not yet analyzed cannot
    /// settle on reading the whole table once it fills; and no bitmap scans, which visit rows
    /// in their physical order: a b-tree scan for `id = ANY(…)` visits them in id order, the
    /// order heartbeats lock them in (``JobStore/heartbeat(_:)``) and the order the plans
    /// before this one took. With bitmap scans allowed, the benchmark logged two deadlocks
    /// between two workers' claims (one's completions against the other's locking scan, which
    /// follows a just-claimed row's update chain); in id order, none. A server that refuses
    /// startup settings (PgBouncer) gets the statements planned afresh each call, as before:
    /// slower, as correct.
    ///
    /// And a lock wait of at most 50 ms. Two claims can still deadlock in id order: a claim's
    /// locking scan, reading a row through a snapshot taken just before another worker claimed
    /// it, locks the row's newest version before it finds the row running and skips it (and
    /// PostgreSQL keeps that lock to the end of the transaction), while the other worker's next
    /// claim waits on that lock to complete the row; when the first is at the same moment
    /// following an update chain into the second's rows, which waits even under SKIP LOCKED,
    /// neither can go on. The full bench logged two such deadlocks in 15 drains, each holding
    /// two claimers for the server's `deadlock_timeout` (1 s, changeable only by a superuser).
    /// A claim's legitimate waits last as long as another claim's transaction, a few ms; past
    /// 50 ms the claim gives up, its completions go back to the next claim, and the worker
    /// claims again at once (``isLockConflict(_:)``).
    static let sessionSettings = [
        ("plan_cache_mode", "force_generic_plan"), ("enable_seqscan", "off"), ("enable_bitmapscan", "off"),
        ("lock_timeout", "50ms"),
    ]

    /// A deadlock (40P01) or a lock wait past `lock_timeout` (55P03): the statement was rolled
    /// back whole, and claiming again at once is safe and the quickest way on.
    static func isLockConflict(_ error: any Error) -> Bool {
        guard let error = error as? LibPQError, let state = error.sqlState else { return false }
        return state == "40P01" || state == "55P03"
    }

    init(url: DatabaseURL, workerID: String, maxBatch: Int, excludingKinds: [String] = []) {
        session = LibPQSession(url: url, applicationName: "nightshift-worker \(workerID)", settings: Self.sessionSettings)
        self.maxBatch = max(1, maxBatch)
        claimSQL = JobStore.makeClaimSQL(
            excludingKinds: ArrayLiteral.textConstant(excludingKinds.sorted()), scanLimit: self.maxBatch)
    }

    /// Claims up to `limit` jobs for `worker`, at most each queue's `limit` from it (its free
    /// slots), and records `completing` in the same statement. Limits above the batch size the
    /// connection was made with are cut to it.
    func claim(_ queues: [WorkerQueue], limit: Int, worker: String, completing: [AttemptRef]) async throws -> JobStore.ClaimResult {
        // Completions in id order, so refusals come back in that order. The rows themselves are
        // locked in id order by the b-tree scan the session settings leave (``sessionSettings``),
        // whatever the array's order.
        let completing = completing.sorted()
        let maxBatch = self.maxBatch, claimSQL = self.claimSQL
        let limit = min(limit, maxBatch)
        let parameters: [String?] = [
            ArrayLiteral.integers(completing.map(\.id)), ArrayLiteral.integers(completing.map(\.attempt)),
            ArrayLiteral.text(queues.map(\.name)), String(limit), worker,
            ArrayLiteral.integers(queues.map { min($0.limit, maxBatch) }),
        ]
        return try await session.run { connection in
            let rows = try connection.execute(prepared: "nightshift_claim", claimSQL, parameters)
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
