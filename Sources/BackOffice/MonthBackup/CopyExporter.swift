import CLibPQ
import Foundation
import JobQueue

/// Streams `COPY (SELECT …) TO STDOUT WITH (FORMAT csv)` through libpq, inside one REPEATABLE
/// READ transaction, on a thread of its own (libpq blocks). Near `\copy` speed; rows arrive one
/// at a time, so memory stays flat.
struct CopyExporter: Sendable {
    let url: DatabaseURL

    /// Runs `before` (statements whose first column of the first row is returned, in order),
    /// then the COPY, calling `row` with each CSV row's bytes (ending in LF).
    func export(snapshotQueries: [String], copy select: String,
                row: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws -> [[String]] {
        let url = self.url
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try Self.run(url: url, snapshotQueries: snapshotQueries, select: select, row: row))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "nightshift-copy"
            thread.start()
        }
    }

    private static func run(url: DatabaseURL, snapshotQueries: [String], select: String,
                            row: (UnsafeRawBufferPointer) throws -> Void) throws -> [[String]] {
        let connection: LibPQConnection
        do {
            connection = try LibPQConnection(url: url, applicationName: "nightshift-backup")
        } catch {
            throw BackupError.io("\(error) (for the backup)")
        }
        try execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        var results: [[String]] = []
        for query in snapshotQueries {
            let result = try execute(connection, query)
            results.append((0..<result.rowCount).map { index in
                (0..<result.columnCount).map { result.string(index, $0) }.joined(separator: "\t")
            })
        }
        let handle = connection.rawHandle
        guard let started = PQexec(handle, "COPY (\(select)) TO STDOUT WITH (FORMAT csv)") else {
            throw BackupError.io("COPY failed: \(connection.lastError)")
        }
        let status = PQresultStatus(started)
        PQclear(started)
        guard status == PGRES_COPY_OUT else { throw BackupError.io("COPY failed: \(connection.lastError)") }
        var failure: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &buffer, 0)
            if length > 0, let buffer {
                if failure == nil {
                    do { try row(UnsafeRawBufferPointer(start: buffer, count: Int(length))) } catch { failure = error }
                }
                PQfreemem(buffer)
            } else if length == -1 {
                break
            } else {
                throw BackupError.io("COPY stream failed: \(connection.lastError)")
            }
        }
        while let result = PQgetResult(handle) {
            let ok = PQresultStatus(result) == PGRES_COMMAND_OK
            PQclear(result)
            if !ok && failure == nil { failure = BackupError.io("COPY failed: \(connection.lastError)") }
        }
        if let failure { throw failure }
        try execute(connection, "COMMIT")
        return results
    }

    @discardableResult
    private static func execute(_ connection: LibPQConnection, _ sql: String) throws -> LibPQResult {
        do {
            return try connection.execute(sql)
        } catch {
            throw BackupError.io("\(sql.prefix(60)) failed: \(error)")
        }
    }
}
