import Foundation
import PostgresNIO

/// Inserts `backup_history` rows in any state at any time, as ``JobFactory`` does jobs.
public enum BackupFactory {
    @discardableResult
    public static func insert(
        _ client: PostgresClient, branch: String, status: String = "completed", type: String = "daily",
        objectKey: String? = nil, startedAt: Date = Date(), retentionUntil: Date? = nil, sha256: String? = nil
    ) async throws -> Int64 {
        let rows = try await client.query("""
            INSERT INTO backup_history (type, branch, started_at, finished_at, status, object_key, retention_until, sha256, size_bytes)
            VALUES (\(type), \(branch), \(startedAt), \(startedAt.addingTimeInterval(60)), \(status), \(objectKey),
                    \(retentionUntil ?? startedAt.addingTimeInterval(30 * 86_400)), \(sha256), 1)
            RETURNING id
            """, logger: TestDatabase.logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw TimedOut(what: "insert returned no id", timeout: .zero)
    }

    /// Gives backup `id` rows per table with digests, and a drill's verdict: passed, or failed
    /// with `differing`'s content alone different (as many rows, other rows).
    public static func recordDrill(_ client: PostgresClient, id: Int64, tables: [String: Int64], differing: String?) async throws {
        let counts = String(decoding: try JSONSerialization.data(withJSONObject: tables), as: UTF8.self)
        let digests = String(decoding: try JSONSerialization.data(withJSONObject: tables.mapValues { _ in "0123456789abcdef" }), as: UTF8.self)
        var report: [String: Any] = [
            "backupID": id, "passed": differing == nil, "verdict": differing == nil ? "true" : "false", "restoredInto": "postgres://drill",
            "tables": tables.count, "contentChecked": true, "differences": [[String: Any]](),
        ]
        if let differing {
            report["differences"] = [["table": differing, "dumped": tables[differing] ?? 0, "restored": tables[differing] ?? 0,
                                      "dumpedDigest": "0123456789abcdef", "restoredDigest": "fedcba9876543210"]]
            report["reason"] = "content differs from the dump's in \(differing) (same row count, other rows)"
        }
        let details = String(decoding: try JSONSerialization.data(withJSONObject: report), as: UTF8.self)
        try await client.query("""
            UPDATE backup_history SET table_counts = \(counts)::jsonb, table_digests = \(digests)::jsonb,
                   verification_status = \(differing == nil ? "true" : "false"), verified_at = now(), verification_details = \(details)::jsonb
            WHERE id = \(id)
            """, logger: TestDatabase.logger)
    }
}
