import Database
import PostgresNIO

extension JobStore {
    /// Claims jobs of one kind that declares a ``KindLimit``, apart from the hot claim (which
    /// leaves such kinds out): at most `limit` in all and each queue's free slots from it, and,
    /// with a global limit, only into the kind's free slots across every worker.
    ///
    /// The global limit holds under any number of racing workers without a leader: the claim
    /// takes a transaction-level advisory lock named after the kind, so claims of one kind take
    /// turns, and counts the kind's running rows in a statement that starts after the lock is
    /// held — under READ COMMITTED it sees every claim committed before. When another worker
    /// holds the lock for longer than ``limitLockTimeout`` this returns nothing (`busy`).
    ///
    /// `slots` is asked for the queues' free slots (and the most to claim) only once the lock is
    /// held, so a worker keeps no slots aside while it waits its turn.
    public func claimLimited(
        kind: String, limit kindLimit: KindLimit, worker: String, slots: @Sendable () -> (queues: [WorkerQueue], limit: Int)
    ) async throws -> (jobs: [ClaimedJob], busy: Bool) {
        do {
            return try await claimLimitedInTransaction(kind: kind, limit: kindLimit, worker: worker, slots: slots)
        } catch is LimitLockBusy {
            return ([], true)
        }
    }

    private struct LimitLockBusy: Error {}

    /// How long a limited claim waits for the kind's lock (`lock_timeout`, milliseconds).
    static let limitLockTimeout = "1000"

    private func claimLimitedInTransaction(
        kind: String, limit kindLimit: KindLimit, worker: String, slots: @Sendable () -> (queues: [WorkerQueue], limit: Int)
    ) async throws -> (jobs: [ClaimedJob], busy: Bool) {
        try await Transaction.run(on: client, logger: logger) { connection in
            if kindLimit.global != nil {
                // Claims of the kind queue up behind each other for a moment (one claim takes
                // milliseconds); a lock held longer than this is a claim gone wrong elsewhere.
                try await connection.query("SELECT set_config('lock_timeout', \(Self.limitLockTimeout), true)", logger: logger)
                do {
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(hashtextextended(\(Self.limitLockPrefix + kind), 0))", logger: logger)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
                    throw LimitLockBusy()
                }
            }
            let (queues, limit) = slots()
            guard limit > 0, !queues.isEmpty else { return ([], false) }
            var binds = PostgresBindings(capacity: 7)
            binds.append(kind)
            binds.append(kindLimit.partitionBy)
            binds.append(kindLimit.global)
            binds.append(queues.map(\.name))
            binds.append(queues.map(\.limit))
            binds.append(limit)
            binds.append(worker)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.claimLimitedSQL, binds: binds), logger: logger)
            var jobs: [ClaimedJob] = []
            for try await (id, kind, queue, args, attempt, maxAttempts) in rows.decode((Int64, String, String, String, Int, Int).self) {
                jobs.append(ClaimedJob(id: id, kind: kind, queue: queue, args: args, attempt: attempt, maxAttempts: maxAttempts))
            }
            return (jobs, false)
        }
    }

    /// Names the advisory lock of a kind's limited claims (with the kind appended).
    static let limitLockPrefix = "nightshift.kind-limit:"

    /// How far into each queue a limited claim looks: its first this many available jobs, in
    /// claim order. A limited kind's job is claimed once it is that near the head of its queue,
    /// as any job is claimed when its turn comes, and the look costs the same however long the
    /// queue behind it is (the claim index has no `kind`, and a second index would cost every
    /// enqueue and claim).
    static let limitedHeadRows = 1_000

    /// Of those, the most one claim considers: enough to find a free partition behind busy ones.
    static let limitedCandidates = 100

    /// `$1` kind, `$2` the args field it is partitioned by (or NULL), `$3` its global limit (or
    /// NULL), `$4`/`$5` queues and their free slots, `$6` most jobs to claim, `$7` worker.
    /// `candidates` are the kind's jobs among the head of each queue (``limitedHeadRows``), each
    /// head row's kind looked up by primary key (a join was planned as a scan of every row).
    /// `running` uses the heartbeat index (every running row has a heartbeat); `slot` numbers a
    /// partition's candidates after the jobs of it already running.
    static let claimLimitedSQL = """
        WITH running AS (
            SELECT coalesce(args->>$2::text, '') AS part, count(*) AS n FROM jobs
            WHERE $3::int IS NOT NULL AND kind = $1 AND state = 'running' AND heartbeat_at IS NOT NULL
            GROUP BY 1
        ), candidates AS (
            SELECT c.* FROM (SELECT * FROM unnest($4::text[], $5::int[]) AS u(name, free)
                             WHERE NOT EXISTS (SELECT 1 FROM queue_pauses p WHERE p.queue = u.name)) AS q
            CROSS JOIN LATERAL (
                SELECT j.id, j.priority, j.run_at, j.queue, q.free, coalesce(j.args->>$2::text, '') AS part FROM jobs j
                WHERE j.id = ANY (ARRAY(
                        SELECT head.id FROM (SELECT h.id FROM jobs h WHERE h.state = 'available' AND h.queue = q.name
                                             ORDER BY h.priority, h.run_at, h.id LIMIT \(limitedHeadRows)) AS head
                        WHERE (SELECT k.kind FROM jobs k WHERE k.id = head.id) = $1
                        LIMIT \(limitedCandidates)))
                  AND j.kind = $1 AND j.state = 'available'
                ORDER BY j.priority, j.run_at, j.id
                FOR UPDATE OF j SKIP LOCKED
            ) AS c
        ), ranked AS (
            SELECT c.id, c.priority, c.run_at, c.queue, c.free, coalesce(r.n, 0) AS running,
                   row_number() OVER (PARTITION BY c.part ORDER BY c.priority, c.run_at, c.id) AS slot
            FROM candidates c LEFT JOIN running r USING (part)
        ), open AS (
            SELECT id, priority, run_at, free,
                   row_number() OVER (PARTITION BY queue ORDER BY priority, run_at, id) AS queue_slot
            FROM ranked WHERE $3::int IS NULL OR running + slot <= $3::int
        ), picked AS (
            SELECT id FROM open WHERE queue_slot <= free ORDER BY priority, run_at, id LIMIT $6
        ), claimed AS (
            \(JobSQL.markRunning(from: "picked", worker: "$7"))
        )
        SELECT id, kind, queue, args, attempt, max_attempts FROM claimed
        """
}
