import PostgresNIO

extension JobStore {
    /// Claims up to `limit` available jobs of the given queues for `worker`, in priority order,
    /// skipping rows other workers hold. Each claimed job's attempt goes up by one.
    public func claim(queues: [String], limit: Int, worker: String) async throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        let rows = try await client.query("""
            WITH picked AS (
                SELECT id FROM jobs
                WHERE state = 'available' AND queue = ANY(\(queues)::text[])
                ORDER BY priority, run_at, id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, attempted_at = now(),
                            heartbeat_at = now(), locked_by = \(worker)
            FROM picked WHERE jobs.id = picked.id
            RETURNING jobs.id, jobs.kind, jobs.queue, jobs.args::text, jobs.attempt, jobs.max_attempts
            """, logger: logger)
        var jobs: [ClaimedJob] = []
        jobs.reserveCapacity(limit)
        for try await (id, kind, queue, args, attempt, maxAttempts) in rows.decode((Int64, String, String, String, Int, Int).self) {
            jobs.append(ClaimedJob(id: id, kind: kind, queue: queue, args: args, attempt: attempt, maxAttempts: maxAttempts))
        }
        return jobs
    }
}
