import PostgresNIO

extension JobStore {
    /// The jobs `id` waits for, by id.
    public func dependencies(of id: Int64) async throws -> [JobRecord] {
        try await records("""
            SELECT \(unescaped: Self.recordColumns) FROM jobs
            WHERE id IN (SELECT depends_on FROM job_dependencies WHERE job_id = \(id)) ORDER BY id
            """)
    }

    /// The jobs that wait for `id`, by id.
    public func dependents(of id: Int64) async throws -> [JobRecord] {
        try await records("""
            SELECT \(unescaped: Self.recordColumns) FROM jobs
            WHERE id IN (SELECT job_id FROM job_dependencies WHERE depends_on = \(id)) ORDER BY id
            """)
    }

    private func records(_ query: PostgresQuery) async throws -> [JobRecord] {
        var records: [JobRecord] = []
        for try await row in try await client.query(query, logger: logger) { records.append(try Self.record(row)) }
        return records
    }
}
