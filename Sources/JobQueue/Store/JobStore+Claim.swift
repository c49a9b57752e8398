import PostgresNIO

extension JobStore {
    /// What one claim statement did.
    public struct ClaimResult: Sendable {
        public var jobs: [ClaimedJob] = []
        /// Of the completions passed in, those refused: the attempt was no longer running.
        public var fenced: [AttemptRef] = []
    }

    /// Claims up to `limit` available jobs of the given queues for `worker`, in priority order,
    /// skipping rows other workers hold. Each claimed job's attempt goes up by one.
    public func claim(queues: [String], limit: Int, worker: String) async throws -> [ClaimedJob] {
        try await claim(queues.map { WorkerQueue($0, limit: limit) }, limit: limit, worker: worker, completing: []).jobs
    }

    /// Claims like ``claim(queues:limit:worker:)``, at most each queue's `limit` from it and
    /// `limit` in all, leaving out `excludingKinds`, and, in the same statement and commit,
    /// marks `completing` attempts succeeded (fenced). A busy worker thus pays one round trip
    /// and one commit per batch for both.
    public func claim(
        _ queues: [WorkerQueue], limit: Int, worker: String, completing: [AttemptRef], excludingKinds: [String] = []
    ) async throws -> ClaimResult {
        var result = ClaimResult()
        guard !queues.isEmpty, limit > 0 || !completing.isEmpty else { return result }
        let completing = completing.sorted()
        var binds = PostgresBindings(capacity: 7)
        binds.append(completing.map(\.id))
        binds.append(completing.map(\.attempt))
        binds.append(queues.map(\.name))
        binds.append(limit)
        binds.append(worker)
        binds.append(queues.map(\.limit))
        binds.append(excludingKinds)
        let rows = try await client.query(PostgresQuery(unsafeSQL: Self.claimSQL, binds: binds), logger: logger)
        result.jobs.reserveCapacity(limit)
        for try await row in rows {
            var cells = row.makeIterator()
            guard let flag = cells.next(), let idCell = cells.next() else { continue }
            let id = try idCell.decode(Int64.self)
            guard let kind = cells.next(), let queue = cells.next(), let args = cells.next(),
                  let attempt = cells.next(), let maxAttempts = cells.next() else { continue }
            guard try flag.decode(Bool.self) else {
                result.fenced.append(AttemptRef(id: id, attempt: try attempt.decode(Int.self)))
                continue
            }
            result.jobs.append(ClaimedJob(
                id: id, kind: try kind.decode(String.self), queue: try queue.decode(String.self),
                args: try args.decode(String.self), attempt: try attempt.decode(Int.self),
                maxAttempts: try maxAttempts.decode(Int.self)))
        }
        return result
    }

    /// Per queue (`$3`, with its free slots in `$6`) that is not paused (`queue_pauses`, one
    /// primary-key probe per queue, not per job), the first rows straight off the claim
    /// index (`queue = q.name` keeps the index order, so each scan stops after `q.free` rows;
    /// `queue = ANY($3)` would sort every available row first), leaving out the kinds in
    /// `excludingKinds`, merged in claim order, at most `$4`, and marked running for worker
    /// `$5`. Rows locked but not taken are released when the statement commits. Pending
    /// completions (ids `$1`, attempts `$2`) ride along in `done`, fenced. Rows: `true` and the
    /// claimed job, in claim order, or `false` with the id and attempt of a completion refused
    /// (normally none).
    ///
    /// `scanLimit`, when given, caps each queue's locking scan at a constant, with the free
    /// slots applied above it: a generic plan then knows the scan is short and keeps to the
    /// index, where `LIMIT least(q.free, $4)` alone is estimated at a tenth of the table and
    /// planned as a sort of all of it. With the kinds as a constant too and the completions and
    /// the update matched by `= ANY` (no join whose order the planner could get wrong), the
    /// generic plan reads `jobs` only through the claim index and the primary key, given the
    /// claim connection's settings (``ClaimConnection/sessionSettings``; a test checks the plan).
    static func makeClaimSQL(excludingKinds: String, scanLimit: Int? = nil) -> String {
        let scan = scanLimit.map {
            """
            SELECT * FROM (
                    \(JobSQL.nextAvailable(queue: "q.name", limit: String($0), excludingKinds: excludingKinds))
                ) AS next LIMIT least(q.free, $4)
            """
        } ?? JobSQL.nextAvailable(queue: "q.name", limit: "least(q.free, $4)", excludingKinds: excludingKinds)
        return """
            WITH done AS (
                \(JobSQL.completeAttempts(ids: "$1", attempts: "$2"))
            ), candidates AS (
                SELECT c.id, c.priority, c.run_at
                FROM (SELECT * FROM unnest($3::text[], $6::int[]) AS u(name, free)
                      WHERE NOT EXISTS (SELECT 1 FROM queue_pauses p WHERE p.queue = u.name)) AS q
                CROSS JOIN LATERAL (
                    \(scan)
                ) AS c
            ), picked AS (
                SELECT id FROM candidates ORDER BY priority, run_at, id LIMIT $4
            ), claimed AS (
                \(JobSQL.markRunning(from: "picked", worker: "$5"))
            )
            (SELECT true, id, kind, queue, args, attempt, max_attempts FROM claimed ORDER BY priority, run_at, id)
            UNION ALL
            SELECT false, d.id, '', '', '', d.attempt, 0
            FROM unnest($1::bigint[], $2::int[]) AS d(id, attempt)
            WHERE NOT EXISTS (SELECT 1 FROM done WHERE done.id = d.id)
            """
    }

    /// ``makeClaimSQL(excludingKinds:scanLimit:)`` with the kinds to leave out bound as `$7`: run
    /// through PostgresNIO, whose unnamed statements are planned afresh with their values.
    static let claimSQL = makeClaimSQL(excludingKinds: "$7::text[]")
}
