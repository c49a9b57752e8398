import Database
import Foundation

/// Streams `COPY (SELECT …) TO STDOUT WITH (FORMAT csv)` through libpq, inside one REPEATABLE
/// READ transaction, on a libpq session's thread (libpq blocks). Near `\copy` speed; rows
/// arrive one at a time, so memory stays flat.
struct CopyExporter: Sendable {
    let url: DatabaseURL

    /// Runs `queries` in one read-only snapshot; each result's rows come back tab-joined.
    func snapshot(_ queries: [String]) async throws -> [[String]] {
        try await inSnapshot { connection in try Self.rows(of: queries, on: connection) }
    }

    /// Runs `snapshotQueries` (each result's rows come back tab-joined, in order, and are also
    /// handed to `answered` before the COPY starts), then the COPY, calling `row` with each CSV
    /// row's bytes (ending in LF) — all in one snapshot.
    func export(snapshotQueries: [String], copy select: String, answered: @escaping @Sendable ([[String]]) -> Void = { _ in },
                row: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws -> [[String]] {
        try await inSnapshot { connection in
            let results = try Self.rows(of: snapshotQueries, on: connection)
            answered(results)
            try connection.copyOut("COPY (\(select)) TO STDOUT WITH (FORMAT csv)", row: row)
            return results
        }
    }

    /// `body` on a session of its own inside one REPEATABLE READ READ ONLY transaction.
    private func inSnapshot<T: Sendable>(_ body: @escaping @Sendable (LibPQConnection) throws -> T) async throws -> T {
        let session = LibPQSession(url: url, applicationName: "nightshift-backup")
        defer { session.close() }
        do {
            return try await session.run { connection in
                try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                let result = try body(connection)
                try connection.execute("COMMIT")
                return result
            }
        } catch let error as LibPQError {
            throw BackupError.io("\(error) (for the backup)")
        }
    }

    private static func rows(of queries: [String], on connection: LibPQConnection) throws -> [[String]] {
        try queries.map { query in
            let result = try connection.execute(query)
            return (0..<result.rowCount).map { index in
                (0..<result.columnCount).map { result.string(index, $0) }.joined(separator: "\t")
            }
        }
    }
}
