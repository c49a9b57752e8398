import Database
import Foundation

extension DatabaseDumper {
    /// Where pg_dump writes: a file, or a pipe that the encrypted path reads.
    enum DumpOutput {
        case file(URL)
        case pipe(Pipe)
    }

    /// Opens a REPEATABLE READ transaction, exports its snapshot, runs pg_dump on that snapshot
    /// while this second backend reads every table's count and digest in it (beside pg_dump,
    /// on the other core), and closes the transaction when pg_dump ends. What is recorded is
    /// therefore exactly what the dump holds.
    func pgDumpInOneSnapshot(_ pgDump: PostgresTool, output: DumpOutput, applicationName: String) async throws -> [String: TableContent] {
        let session = LibPQSession(url: database, applicationName: applicationName + " (snapshot)")
        defer { session.close() }
        let snapshot = try await session.run { connection in
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return try connection.execute("SELECT pg_export_snapshot()").string(0, 0)
        }
        let dumped: Task<PostgresTool.Output, any Error>
        switch output {
        case .file(let file):
            dumped = Task { try await pgDump.run(["--format=custom", "--snapshot=\(snapshot)", "--file=\(file.path)"],
                                                 database: database, applicationName: applicationName) }
        case .pipe(let pipe):
            dumped = Task { try await pgDump.run(["--format=custom", "--snapshot=\(snapshot)"],
                                                 database: database, applicationName: applicationName, outputPipe: pipe) }
        }
        let tables: [String: TableContent]
        do { tables = try await session.run { connection in try TableContents.read(on: connection) } } catch {
            dumped.cancel()
            _ = try? await dumped.value
            throw error
        }
        let output = try await withTaskCancellationHandler { try await dumped.value } onCancel: { dumped.cancel() }
        _ = try? await session.run { connection in _ = try connection.execute("COMMIT") }
        guard output.status == 0 else { throw DumpError.toolFailed(name: "pg_dump", status: output.status, message: output.errors) }
        return tables
    }
}
