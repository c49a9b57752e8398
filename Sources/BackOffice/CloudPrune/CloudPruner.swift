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
        var kept = 0
        var keptOneThatPassed = false
        for object in objects {
            let madeAt = DumpName.time(of: object.key, in: zone)
            let row = rows[object.key]
            var entry = Plan.Entry(key: object.key, madeAt: madeAt, sizeBytes: object.size, backupID: row?.id, reason: "")
            // The minimum counts dumps that can be restored: the object of a failed attempt
            // (history says it is not a dump), or a dump whose restore drill failed (known not to
            // restore as it was made), does not take a good dump's place (break-office2 8).
            let restorable = row.map { $0.status != "failed" && $0.status != "running" && $0.verified != "false" } ?? true
            let passed = row?.verified == "true" && row?.status != "failed" && row?.status != "running"
            if restorable, kept < settings.dumps.minimumKept {
                kept += 1
                keptOneThatPassed = keptOneThatPassed || passed
                entry.reason = "one of the newest \(settings.dumps.minimumKept) (BACKUP_MIN_KEEP), kept whatever its age"
                plan.keep.append(entry)
            } else if passed, !keptOneThatPassed {
                // Whatever its age: the newest dump a drill proved restores.
                keptOneThatPassed = true
                entry.reason = "the newest dump whose restore drill passed, kept whatever its age"
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
        let planned = try await plan(now: now)
        guard !planned.delete.isEmpty else { return planned }
        let history = BackupHistory(client: client, logger: logger)
        // A dump a drill is restoring right now stays until the next prune; the others are
        // held while they go, so no drill starts on one half-deleted.
        let (store, logger) = (self.store, self.logger)
        let candidates = planned.delete
        return try await history.withRemovable(candidates.compactMap(\.backupID)) { free in
            var done = planned
            done.delete = candidates.filter { $0.backupID.map(free.contains) ?? true }
            let busy = candidates.filter { !($0.backupID.map(free.contains) ?? true) }.map { entry in
                var kept = entry
                kept.reason = "in use by a restore drill: kept until the next prune"
                return kept
            }
            done.keep += busy
            guard !done.delete.isEmpty else { return done }
            try await store.delete(done.delete.map(\.key))
            try await history.markExpired(done.delete.compactMap(\.backupID))
            logger.info("pruned old dumps from the store", metadata: [
                "deleted": "\(done.delete.count)", "kept": "\(done.keep.count)", "in_use": "\(busy.count)", "store": "\(store)",
            ])
            return done
        }
    }

    /// Each object's history row: a completed (or expired) one when there is one, else the
    /// newest attempt's (a failed one, whose object is not a dump).
    private func historyRows(keys: [String]) async throws -> [String: (id: Int64, retentionUntil: Date, status: String, verified: String?)] {
        var rows: [String: (id: Int64, retentionUntil: Date, status: String, verified: String?)] = [:]
        guard !keys.isEmpty else { return rows }
        for try await (key, id, until, status, verified) in try await client.query("""
            SELECT DISTINCT ON (object_key) object_key, id, retention_until, status, verification_status FROM backup_history
            WHERE branch = \(settings.branch.id) AND object_key = ANY(\(keys)::text[])
            ORDER BY object_key, status IN ('completed', 'expired') DESC, id DESC
            """, logger: logger).decode((String, Int64, Date, String, String?).self) {
            rows[key] = (id, until, status, verified)
        }
        return rows
    }
}
