import Database
import Foundation

/// Streams `COPY (SELECT …) TO STDOUT WITH (FORMAT csv)` through libpq, inside one REPEATABLE
/// READ transaction, on a libpq session's thread (libpq blocks). Near `\copy` speed; rows
/// arrive one at a time, so memory stays flat.
struct CopyExporter: Sendable {
    let url: DatabaseURL

    /// Runs `queries` in one read-only snapshot; each result's rows come back tab-joined.
    func snapshot(_ queries: [String]) async throws -> [[String]] {
        let session = LibPQSession(url: url, applicationName: "nightshift-backup")
        defer { session.close() }
        do {
            return try await session.run { connection in
                try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                var results: [[String]] = []
                for query in queries {
                    let result = try connection.execute(query)
                    results.append((0..<result.rowCount).map { index in
                        (0..<result.columnCount).map { result.string(index, $0) }.joined(separator: "\t")
                    })
                }
                try connection.execute("COMMIT")
                return results
            }
        } catch let error as LibPQError {
            throw BackupError.io("\(error) (for the backup)")
        }
    }

    /// Runs `snapshotQueries` (each result's rows come back tab-joined, in order, and are also
    /// handed to `answered` before the COPY starts), then the COPY, calling `row` with each CSV
    /// row's bytes (ending in LF) — all in one snapshot.
    func export(snapshotQueries: [String], copy select: String, answered: @escaping @Sendable ([[String]]) -> Void = { _ in },
                row: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws -> [[String]] {
        let session = LibPQSession(url: url, applicationName: "nightshift-backup")
        defer { session.close() }
        do {
            return try await session.run { connection in
                try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                var results: [[String]] = []
                for query in snapshotQueries {
                    let result = try connection.execute(query)
                    results.append((0..<result.rowCount).map { index in
                        (0..<result.columnCount).map { result.string(index, $0) }.joined(separator: "\t")
                    })
                }
                answered(results)
                try connection.copyOut("COPY (\(select)) TO STDOUT WITH (FORMAT csv)", row: row)
                try connection.execute("COMMIT")
                return results
            }
        } catch let error as LibPQError {
            throw BackupError.io("\(error) (for the backup)")
        }
    }
}
