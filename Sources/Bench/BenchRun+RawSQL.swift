import Database
import Foundation
import JobQueue
import PostgresNIO

/// The raw-SQL limit: pgbench running the worker's own claim and completion SQL.
extension BenchRun {
    /// pgbench, 4 clients, as prepared statements like the worker's: claim a batch (the
    /// worker's claim for one queue, rows marked running) and mark the batch succeeded, fenced
    /// by attempt, as the worker's completions are. What the database alone can do here.
    func rawSQLLimit(queue: String, table: String) async throws -> Double {
        if table == "jobs" {
            try await fill(queue)
        } else {
            try await client.query(PostgresQuery(unsafeSQL: """
                INSERT INTO \(table) (kind, queue) SELECT 'noop', $1 FROM generate_series(1, \(settings.jobs))
                """, binds: binds(queue)), logger: logger)
        }
        try await vacuum()
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("nightshift-bench-\(queue).sql")
        try Self.pgbenchScript(claimBatch: settings.claimBatch, table: table).write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let transactions = settings.jobs / settings.claimBatch / settings.pgbenchClients
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pgbench", "-n", "-M", "prepared", "-f", script.path, "-c", "\(settings.pgbenchClients)",
                             "-j", "\(min(settings.pgbenchClients, ProcessInfo.processInfo.activeProcessorCount))",
                             "-t", "\(transactions)", "-D", "queue=\(queue)"]
        // Where to connect goes by PG* variables, so the password is on no command line.
        process.environment = ProcessInfo.processInfo.environment
            .merging(LibPQParameters(url, applicationName: "nightshift-bench").environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        guard await exited(process, within: .seconds(600)) else {
            await stop([process])
            throw BenchFailure("pgbench did not finish within 10 minutes")
        }
        guard process.terminationStatus == 0 else { throw BenchFailure("pgbench failed (is it installed? apt-get install postgresql-client)") }
        return try await succeededPerSecond(queue, table: table)
    }

    /// One pgbench transaction: claim `claimBatch` jobs, then complete them in a second statement.
    /// The worker's own SQL fragments (``JobSQL``), with pgbench's variables for parameters.
    static func pgbenchScript(claimBatch: Int, table: String = "jobs") -> String {
        """
        WITH picked AS (
            \(JobSQL.nextAvailable(queue: ":queue", limit: String(claimBatch), table: table))
        ), claimed AS (
            \(JobSQL.markRunning(from: "picked", worker: "'pgbench/' || :client_id::text", table: table))
        )
        SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(attempt), '{}') AS attempts,
               count(kind) + count(queue) + count(args) + count(max_attempts) AS fields
        FROM claimed
        \\gset
        \(JobSQL.completeAttempts(ids: ":ids", attempts: ":attempts", returning: false, table: table));

        """
    }
}
