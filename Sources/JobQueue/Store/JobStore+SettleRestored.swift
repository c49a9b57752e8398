import PostgresNIO

extension JobStore {
    /// In a database restored from a dump, a job that was `running` at the dump's snapshot —
    /// the dump's own nightly-dump job first of all — is `running` with no worker: its
    /// heartbeat is old, so the first rescuer pass would retry it there (and the dump's job
    /// would make one more dump). Ends that attempt as the source database finished the work:
    /// `succeeded` when `error` is nil, else `discarded` with `error`. Fenced: only the running
    /// attempt `attempt` of job `id` changes. Returns whether it did.
    @discardableResult
    public func settleRestored(_ id: Int64, attempt: Int, error: String?) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE jobs SET state = CASE WHEN \(error)::text IS NULL THEN 'succeeded' ELSE 'discarded' END::job_state,
                            finished_at = now(), heartbeat_at = NULL,
                            last_error = coalesce(\(error)::text, last_error)
            WHERE id = \(id) AND attempt = \(attempt) AND state = 'running'
            RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }
}
