import Database
import Foundation
import Logging
import ObjectStorage
import PostgresNIO

/// Proves a dump restores (seed 003's verification): restores it into a scratch database (or
/// `RESTORE_DATABASE_URL`), compares every table's row count with the counts taken when it was
/// made, and writes the verdict into `backup_history`.
public struct RestoreDrill: Sendable {
    public let restorer: DumpRestorer
    public let history: BackupHistory
    /// Where scratch databases are created (and dropped): the dumped database's server.
    public let database: DatabaseURL
    public let logger: Logger

    public init(restorer: DumpRestorer, history: BackupHistory, database: DatabaseURL, logger: Logger) {
        self.restorer = restorer
        self.history = history
        self.database = database
        self.logger = logger
    }

    public struct Report: Sendable, Codable, Equatable {
        public struct Difference: Sendable, Codable, Equatable {
            public var table: String
            public var dumped: Int64?
            public var restored: Int64?
        }
        public var backupID: Int64
        public var passed: Bool
        public var restoredInto: String
        public var tables: Int
        public var differences: [Difference]
        /// Why it failed before any count could be compared (a bad checksum, pg_restore's error).
        public var reason: String?
    }

    /// Drills `backupID`, or the branch's latest completed dump.
    public func run(backupID: Int64?) async throws -> Report {
        let branch = restorer.settings.branch.id
        let found: BackupRecord?
        if let backupID { found = try await history.record(backupID) } else { found = try await history.latestCompleted(branch: branch) }
        guard let record = found else {
            throw DumpError.notFound(backupID.map { "backup \($0) is not in backup_history" } ?? "no completed dump of branch \(branch) to drill")
        }
        let standing = restorer.settings.dumps.restoreDatabase
        var target = standing ?? database
        if standing == nil { target.database = "nightshift_drill_\(record.id)_\(UInt32.random(in: 0...UInt32.max))" }
        var report = Report(backupID: record.id, passed: false, restoredInto: target.description, tables: record.tableCounts.count,
                            differences: [], reason: nil)
        do {
            let fetched = try await restorer.fetch(record)
            defer { fetched.discard() }
            if standing == nil { try await createScratch(target.database) }
            do {
                try await restorer.restore(fetched.file, into: target, clean: standing != nil)
                let restored = try await counts(in: target)
                report.differences = Self.compare(dumped: record.tableCounts, restored: restored)
                report.passed = report.differences.isEmpty
                if !report.passed { report.reason = "\(report.differences.count) table(s) differ from the counts taken at dump time" }
            } catch {
                if standing == nil { await dropScratch(target.database) }
                throw error
            }
            if standing == nil { await dropScratch(target.database) }
        } catch let error as DumpError {
            report.reason = "\(error)"
        }
        let details = String(decoding: try JSONEncoder.sorted.encode(report), as: UTF8.self)
        try await history.recordVerification(record.id, passed: report.passed, details: details)
        logger.log(level: report.passed ? .info : .error, "restore drill \(report.passed ? "passed" : "FAILED")", metadata: [
            "backup_id": "\(record.id)", "tables": "\(report.tables)", "reason": "\(report.reason ?? "-")",
        ])
        return report
    }

    /// Tables whose count differs, or that are on one side only.
    static func compare(dumped: [String: Int64], restored: [String: Int64]) -> [Report.Difference] {
        Set(dumped.keys).union(restored.keys).sorted().compactMap { table in
            dumped[table] == restored[table] ? nil : Report.Difference(table: table, dumped: dumped[table], restored: restored[table])
        }
    }

    private func counts(in target: DatabaseURL) async throws -> [String: Int64] {
        let session = LibPQSession(url: target, applicationName: "nightshift-drill counts")
        defer { session.close() }
        return try await session.run { connection in try TableCounts.count(on: connection) }
    }

    private func createScratch(_ name: String) async throws {
        try await history.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0"), logger: logger)
    }

    private func dropScratch(_ name: String) async {
        do {
            try await history.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        } catch {
            logger.error("could not drop the drill's scratch database; drop it by hand", metadata: ["database": "\(name)", "error": "\(error)"])
        }
    }
}
