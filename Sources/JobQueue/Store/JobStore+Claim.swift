import PostgresNIO

extension JobStore {
    /// Claims up to `limit` available jobs of the given queues for `worker`, in priority order,
    /// skipping rows other workers hold. Each claimed job's attempt goes up by one.
    public func claim(queues: [String], limit: Int, worker: String) async throws -> [ClaimedJob] {
        guard limit > 0, !queues.isEmpty else { return [] }
        let rows = try await client.query(
            queues.count == 1
                ? Self.claimOneQueue(queues[0], limit: limit, worker: worker)
                : Self.claimManyQueues(queues, limit: limit, worker: worker),
            logger: logger)
        var jobs: [ClaimedJob] = []
        jobs.reserveCapacity(limit)
        for try await (id, kind, queue, args, attempt, maxAttempts) in rows.decode((Int64, String, String, String, Int, Int).self) {
            jobs.append(ClaimedJob(id: id, kind: kind, queue: queue, args: args, attempt: attempt, maxAttempts: maxAttempts))
        }
        return jobs
    }

    /// `queue = $1` lets the index hand rows over in claim order, so the scan stops after
    /// `limit` rows. (`queue = ANY($1)` would sort every available row first.)
    static func claimOneQueue(_ queue: String, limit: Int, worker: String) -> PostgresQuery {
        """
        WITH picked AS (
            SELECT id FROM jobs
            WHERE state = 'available' AND queue = \(queue)
            ORDER BY priority, run_at, id
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
        )
        UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, attempted_at = now(),
                        heartbeat_at = now(), locked_by = \(worker)
        FROM picked WHERE jobs.id = picked.id
        RETURNING jobs.id, jobs.kind, jobs.queue, jobs.args::text, jobs.attempt, jobs.max_attempts
        """
    }

    /// Several queues: the first `limit` rows of each queue by index, merged in claim order.
    /// Rows locked but not taken are released when the statement's transaction ends.
    static func claimManyQueues(_ queues: [String], limit: Int, worker: String) -> PostgresQuery {
        """
        WITH candidates AS (
            SELECT c.id, c.priority, c.run_at
            FROM unnest(\(queues)::text[]) AS q(name)
            CROSS JOIN LATERAL (
                SELECT id, priority, run_at FROM jobs
                WHERE state = 'available' AND queue = q.name
                ORDER BY priority, run_at, id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ) AS c
        ), picked AS (
            SELECT id FROM candidates ORDER BY priority, run_at, id LIMIT \(limit)
        )
        UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, attempted_at = now(),
                        heartbeat_at = now(), locked_by = \(worker)
        FROM picked WHERE jobs.id = picked.id
        RETURNING jobs.id, jobs.kind, jobs.queue, jobs.args::text, jobs.attempt, jobs.max_attempts
        """
    }
}
