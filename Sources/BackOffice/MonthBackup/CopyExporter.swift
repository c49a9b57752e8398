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
        guard let connection = PQconnectdb(conninfo(url)) else { throw BackupError.io("cannot allocate a libpq connection") }
        defer { PQfinish(connection) }
        guard PQstatus(connection) == CONNECTION_OK else {
            throw BackupError.io("cannot connect to \(url) for the backup: \(url.redacting(message(connection)))")
        }
        try execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", url: url)
        var results: [[String]] = []
        for query in snapshotQueries {
            guard let result = PQexec(connection, query) else { throw BackupError.io("query failed: \(url.redacting(message(connection)))") }
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_TUPLES_OK else {
                throw BackupError.io("query failed: \(url.redacting(message(connection)))")
            }
            var rows: [String] = []
            for index in 0..<PQntuples(result) {
                rows.append((0..<PQnfields(result)).map { String(cString: PQgetvalue(result, index, $0)) }.joined(separator: "\t"))
            }
            results.append(rows)
        }
        guard let started = PQexec(connection, "COPY (\(select)) TO STDOUT WITH (FORMAT csv)") else {
            throw BackupError.io("COPY failed: \(url.redacting(message(connection)))")
        }
        let status = PQresultStatus(started)
        PQclear(started)
        guard status == PGRES_COPY_OUT else { throw BackupError.io("COPY failed: \(url.redacting(message(connection)))") }
        var failure: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connection, &buffer, 0)
            if length > 0, let buffer {
                if failure == nil {
                    do { try row(UnsafeRawBufferPointer(start: buffer, count: Int(length))) } catch { failure = error }
                }
                PQfreemem(buffer)
            } else if length == -1 {
                break
            } else {
                throw BackupError.io("COPY stream failed: \(url.redacting(message(connection)))")
            }
        }
        while let result = PQgetResult(connection) {
            let ok = PQresultStatus(result) == PGRES_COMMAND_OK
            PQclear(result)
            if !ok && failure == nil { failure = BackupError.io("COPY failed: \(url.redacting(message(connection)))") }
        }
        if let failure { throw failure }
        try execute(connection, "COMMIT", url: url)
        return results
    }

    private static func execute(_ connection: OpaquePointer, _ sql: String, url: DatabaseURL) throws {
        guard let result = PQexec(connection, sql) else { throw BackupError.io("\(sql) failed: \(url.redacting(message(connection)))") }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else {
            throw BackupError.io("\(sql) failed: \(url.redacting(message(connection)))")
        }
    }

    private static func message(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A libpq connection string; values quoted as libpq requires.
    static func conninfo(_ url: DatabaseURL) -> String {
        func quoted(_ value: String) -> String {
            "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        var parts = [
            "host=\(quoted(url.socketDirectory ?? url.host))", "port=\(url.port)", "user=\(quoted(url.username))",
            "dbname=\(quoted(url.database))", "sslmode=\(url.sslMode.rawValue)", "application_name='nightshift-backup'",
            "connect_timeout=15",
        ]
        if let password = url.password { parts.append("password=\(quoted(password))") }
        return parts.joined(separator: " ")
    }
}
