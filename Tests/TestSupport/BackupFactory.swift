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
}
