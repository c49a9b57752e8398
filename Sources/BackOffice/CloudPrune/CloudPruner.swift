import Foundation
import Logging
import ObjectStorage
import PostgresNIO

/// Deletes old dumps from the store (seed 004's weekly cloud clean-up): objects under
/// `{branch}/backups/` older than `BACKUP_CLOUD_RETENTION_DAYS`, whose history row's
/// `retention_until` has passed, marking those rows `expired` — but it always keeps the newest
/// `BACKUP_MIN_KEEP` dumps, whatever their age, as pgBackRest keeps a minimum.
public struct CloudPruner: Sendable {
    public let settings: BackOfficeSettings
    public let store: any ObjectStore
    public let client: PostgresClient
    public let logger: Logger

    public init(settings: BackOfficeSettings, store: any ObjectStore, client: PostgresClient, logger: Logger) {
        self.settings = settings
        self.store = store
        self.client = client
        self.logger = logger
    }

    public struct Plan: Sendable, Codable, Equatable {
        public struct Entry: Sendable, Codable, Equatable {
            public var key: String
            public var madeAt: Date?
            public var sizeBytes: Int64
            public var backupID: Int64?
            /// Why it stays or goes: `within retention`, `minimum kept`, `retention_until …`, `expired`.
            public var reason: String
        }
        public var delete: [Entry] = []
        public var keep: [Entry] = []
    }

    /// What a prune would do at `now`, without doing it (`nightshift backups prune --dry-run`).
    public func plan(now: Date = Date()) async throws -> Plan {
        let zone = settings.branch.timeZone
        let objects = try await store.list(prefix: DumpName.prefix(settings.branch.id))
            .filter { DumpName.time(of: $0.key, in: zone) != nil }
            .sorted { (DumpName.time(of: $0.key, in: zone) ?? .distantPast) > (DumpName.time(of: $1.key, in: zone) ?? .distantPast) }
        let rows = try await historyRows(keys: objects.map(\.key))
        let cutoff = now.addingTimeInterval(-Double(settings.dumps.cloudRetentionDays) * 86_400)
        var plan = Plan()
        for (index, object) in objects.enumerated() {
            let madeAt = DumpName.time(of: object.key, in: zone)
            let row = rows[object.key]
            var entry = Plan.Entry(key: object.key, madeAt: madeAt, sizeBytes: object.size, backupID: row?.id, reason: "")
            if index < settings.dumps.minimumKept {
                entry.reason = "one of the newest \(settings.dumps.minimumKept) (BACKUP_MIN_KEEP), kept whatever its age"
                plan.keep.append(entry)
            } else if let madeAt, madeAt >= cutoff {
                entry.reason = "within BACKUP_CLOUD_RETENTION_DAYS (\(settings.dumps.cloudRetentionDays))"
                plan.keep.append(entry)
            } else if let until = row?.retentionUntil, until > now {
                entry.reason = "its retention_until is \(ISO8601DateFormatter().string(from: until))"
                plan.keep.append(entry)
            } else {
                entry.reason = "older than \(settings.dumps.cloudRetentionDays) days"
                plan.delete.append(entry)
            }
        }
        return plan
    }

    /// Deletes what `plan` says and marks those backups expired.
    @discardableResult
    public func prune(now: Date = Date()) async throws -> Plan {
        let plan = try await plan(now: now)
        guard !plan.delete.isEmpty else { return plan }
        try await store.delete(plan.delete.map(\.key))
        try await BackupHistory(client: client, logger: logger).markExpired(plan.delete.compactMap(\.backupID))
        logger.info("pruned old dumps from the store", metadata: [
            "deleted": "\(plan.delete.count)", "kept": "\(plan.keep.count)", "store": "\(store)",
        ])
        return plan
    }

    private func historyRows(keys: [String]) async throws -> [String: (id: Int64, retentionUntil: Date)] {
        var rows: [String: (id: Int64, retentionUntil: Date)] = [:]
        guard !keys.isEmpty else { return rows }
        for try await (key, id, until) in try await client.query("""
            SELECT DISTINCT ON (object_key) object_key, id, retention_until FROM backup_history
            WHERE branch = \(settings.branch.id) AND object_key = ANY(\(keys)::text[]) AND status IN ('completed', 'expired')
            ORDER BY object_key, id DESC
            """, logger: logger).decode((String, Int64, Date).self) {
            rows[key] = (id, until)
        }
        return rows
    }
}
