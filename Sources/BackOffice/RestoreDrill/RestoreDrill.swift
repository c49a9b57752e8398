import Database
import Foundation
import NightshiftCore
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
        /// What `backup_history.verification_status` records: `true`, `false`, or `unverified`
        /// (an encrypted dump, drilled where there is no identity to open it).
        public var verdict: String = "false"
        public var restoredInto: String
        public var tables: Int
        public var differences: [Difference]
        /// Why it failed before any count could be compared (a bad checksum, pg_restore's error).
        public var reason: String?
    }

    /// Drills `backupID`, or the branch's latest completed dump.
    public func run(backupID: Int64?, progress: any WorkProgressReporting = NoProgress()) async throws -> Report {
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
            let canOpen = restorer.settings.encryption.canDecrypt
            let fetched = try await restorer.fetch(record, decrypt: canOpen)
            defer { fetched.discard() }
            if record.encryption != nil && !canOpen {
                // The checksum matched in fetch; the header is all that can be read without the key.
                let recipients = try EncryptedFile.checkHeader(fetched.file)
                report.verdict = "unverified"
                report.reason = "encrypted (age, \(recipients) recipient(s)): checksum and age header checked; contents NOT restored, "
                    + "as BACKUP_AGE_IDENTITY_FILE is not set where the drill ran"
                return try await finish(report, record)
            }
            if standing == nil { try await createScratch(target.database) }
            do {
                try await restorer.restore(fetched.file, into: target, clean: standing != nil, progress: progress)
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
            // A restart of the server during the restore says nothing about the dump: no verdict
            // is recorded, and the job retries.
            if error.lostTheServer { throw error }
            report.reason = "\(error)"
        } catch let error as BackupEncryptionError {
            report.reason = "\(error)"
        }
        report.verdict = report.passed ? "true" : "false"
        return try await finish(report, record)
    }

    private func finish(_ report: Report, _ record: BackupRecord) async throws -> Report {
        let details = String(decoding: try JSONEncoder.sorted.encode(report), as: UTF8.self)
        try await history.recordVerification(record.id, verdict: report.verdict, details: details)
        let level: Logger.Level = report.passed ? .info : report.verdict == "unverified" ? .warning : .error
        logger.log(level: level, "restore drill \(report.passed ? "passed" : report.verdict == "unverified" ? "could not open the dump (no identity)" : "FAILED")", metadata: [
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

    /// Drops the scratch database, trying for up to a minute while the server is away (a drill
    /// cut short by a restart would otherwise leave its copy behind).
    private func dropScratch(_ name: String) async {
        let deadline = ContinuousClock.now + .seconds(60)
        var pause = Duration.milliseconds(250)
        while true {
            do {
                try await history.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
                return
            } catch {
                guard ContinuousClock.now + pause < deadline else {
                    logger.error("could not drop the drill's scratch database; drop it by hand", metadata: ["database": "\(name)", "error": "\(error)"])
                    return
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }
}
