import Database
import Foundation
import NightshiftCore
import Logging
import ObjectStorage
import PostgresNIO

/// Proves a dump restores (seed 003's verification): restores it into a scratch database (or
/// `RESTORE_DATABASE_URL`), compares every table's row count and content digest with those
/// taken in the dump's snapshot (``TableContent``), and writes the verdict into
/// `backup_history`. A dump made before digests were taken is compared on its counts.
public struct RestoreDrill: Sendable {
    public let restorer: DumpRestorer
    public let history: BackupHistory
    /// Where scratch databases are created (and dropped): the dumped database's server.
    public let database: DatabaseURL
    public let logger: Logger
    /// Runs on the restored database before it is read (tests change a row here, to see the
    /// comparison catch it).
    var beforeComparison: (@Sendable (DatabaseURL) async throws -> Void)?

    public init(restorer: DumpRestorer, history: BackupHistory, database: DatabaseURL, logger: Logger) {
        self.restorer = restorer
        self.history = history
        self.database = database
        self.logger = logger
    }

    public struct Report: Sendable, Codable, Equatable {
        /// A table whose count or content differs, or that is on one side only. The digests
        /// are there when the dump has them.
        public struct Difference: Sendable, Codable, Equatable {
            public var table: String
            public var dumped: Int64?
            public var restored: Int64?
            public var dumpedDigest: String?
            public var restoredDigest: String?

            /// The counts match and the digests do not: the same number of rows, not the same rows.
            public var contentOnly: Bool { dumped == restored && dumpedDigest != restoredDigest }
        }
        public var backupID: Int64
        public var passed: Bool
        /// What `backup_history.verification_status` records: `true`, `false`, or `unverified`
        /// (an encrypted dump, drilled where there is no identity to open it).
        public var verdict: String = "false"
        public var restoredInto: String
        public var tables: Int
        /// Whether the rows' contents were compared (the dump has digests), not their counts alone.
        public var contentChecked: Bool? = nil
        /// The rule the contents were compared by (the dump's ``DigestVersion``).
        public var digestVersion: Int? = nil
        /// What the drill had to do to get a good copy (the local file was damaged and the
        /// store's copy was restored instead).
        public var note: String? = nil
        public var differences: [Difference]
        /// Why it failed before any count could be compared (a bad checksum, pg_restore's error).
        public var reason: String?
        /// The digest rules this release's drill knows. A dump whose digests are of a version not
        /// listed here gets no verdict from it: migration 0017's trigger refuses the write, so a
        /// worker of an older release left running through an upgrade cannot brand a good dump
        /// failed by comparing its digests by the wrong rule (break-dumps 9).
        public var knownDigestVersions: [Int]? = DigestVersion.allCases.map(\.rawValue)
    }

    /// Drills `backupID`, or the branch's latest completed dump.
    public func run(backupID: Int64?, progress: any WorkProgressReporting = NoProgress()) async throws -> Report {
        let branch = restorer.settings.branch.id
        do {
            try await DrillLeftovers(history: history, dumpDirectory: restorer.settings.dumpDirectory, logger: logger).sweep()
        } catch {
            logger.warning("a killed drill's leftovers were not removed this time", metadata: ["error": "\(error)"])
        }
        let found: BackupRecord?
        if let backupID { found = try await history.record(backupID) } else { found = try await history.latestCompleted(branch: branch) }
        guard let record = found else {
            throw DumpError.notFound(backupID.map { "backup \($0) is not in backup_history" } ?? "no completed dump of branch \(branch) to drill")
        }
        // A dump still being made (or failed, or expired) has nothing to restore, and a verdict
        // written onto it would outlive the dump's own outcome: refuse before touching it.
        guard record.status == .completed else { throw DumpError.notCompleted(id: record.id, status: record.status.rawValue) }
        // Held in use while it is fetched and restored: a prune or a local retention pass that
        // comes meanwhile keeps its file and object, rather than fail a good dump's drill.
        return try await history.whileInUse(record.id) {
            // A prune may have expired it just before the lock was taken.
            guard let current = try await history.record(record.id), current.status == .completed else {
                throw DumpError.notCompleted(id: record.id, status: try await history.record(record.id)?.status.rawValue ?? "gone")
            }
            return try await drill(current, progress: progress)
        }
    }

    private func drill(_ record: BackupRecord, progress: any WorkProgressReporting) async throws -> Report {
        let standing = restorer.settings.dumps.restoreDatabase
        var target = standing ?? database
        if standing == nil {
            // Named for this installation (its queue database's oid): another installation's drill
            // sweep on the same server leaves it alone (break-office2 10).
            target.database = "\(try await DrillLeftovers.scratchPrefix(history))\(record.id)_\(UInt32.random(in: 0...UInt32.max))"
        }
        var report = Report(backupID: record.id, passed: false, restoredInto: target.description, tables: record.tableCounts.count,
                            differences: [], reason: nil)
        // Before anything is fetched or restored: no verdict, and the job fails with the reason.
        if let standing { try await RestoreTargetGuard.refuse(standing, dumped: database, history: history) }
        do {
            let canOpen = restorer.settings.encryption.canDecrypt
            let fetched = try await restorer.fetch(record, decrypt: canOpen)
            defer { fetched.discard() }
            report.note = fetched.note
            // The local file was intact: the store's copy is read back too (local-only mode), so
            // damage to it shows, and is repaired, before retention removes the local file.
            if !fetched.downloaded, let local = record.localPath,
               let storeNote = await restorer.readBackStoreCopy(record, local: URL(fileURLWithPath: local)) {
                report.note = report.note.map { $0 + "; " + storeNote } ?? storeNote
            }
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
                try await beforeComparison?(target)
                let rule = record.digestRule
                var restored = try await contents(in: target, version: rule ?? .current)
                if standing != nil {
                    // A standing database keeps tables an earlier drill (of a newer dump) left:
                    // `--clean` drops only what this dump holds. They say nothing about this dump
                    // (break-office2 14): not compared, and named.
                    let extra = restored.keys.filter { record.tableCounts[$0] == nil }.sorted()
                    if !extra.isEmpty {
                        restored = restored.filter { record.tableCounts[$0.key] != nil }
                        let also = "RESTORE_DATABASE_URL also holds \(extra.count) table(s) this dump does not (left by an earlier drill or made there): "
                            + "not compared (\(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", …" : ""))"
                        report.note = report.note.map { $0 + "; " + also } ?? also
                    }
                }
                report.contentChecked = rule != nil
                report.digestVersion = rule?.rawValue
                report.differences = Self.compare(counts: record.tableCounts, digests: rule == nil ? [:] : record.tableDigests, restored: restored)
                report.passed = report.differences.isEmpty
                if !report.passed { report.reason = Self.reason(report.differences) }
            } catch {
                if standing == nil { await dropScratch(target.database) }
                throw error
            }
            if standing == nil { await dropScratch(target.database) }
        } catch let error as DumpError {
            // A restart of the server during the restore, or a target that cannot be reached or
            // filled (a typo'd RESTORE_DATABASE_URL, a full disk), says nothing about the dump: no
            // verdict is recorded, and the job retries (and, failing for good, is discarded).
            if error.theTargetsFault { throw error }
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

    /// Tables whose count differs, whose digest differs (when the dump has digests), or that are
    /// on one side only.
    static func compare(counts: [String: Int64], digests: [String: String], restored: [String: TableContent]) -> [Report.Difference] {
        let checkDigests = !digests.isEmpty
        return Set(counts.keys).union(restored.keys).sorted().compactMap { table in
            let after = restored[table]
            let same = counts[table] == after?.count && (!checkDigests || digests[table] == after?.digest)
            return same ? nil : Report.Difference(table: table, dumped: counts[table], restored: after?.count,
                                                  dumpedDigest: checkDigests ? digests[table] : nil,
                                                  restoredDigest: checkDigests ? after?.digest : nil)
        }
    }

    /// The failure in a line, naming the tables: `content differs in public.clientes; row counts differ in public.gastos (30 → 29)`.
    static func reason(_ differences: [Report.Difference]) -> String {
        let content = differences.filter(\.contentOnly).map(\.table)
        let counts = differences.filter { !$0.contentOnly }.map { difference in
            "\(difference.table) (\(difference.dumped.map(String.init) ?? "absent") → \(difference.restored.map(String.init) ?? "absent"))"
        }
        var parts: [String] = []
        if !content.isEmpty { parts.append("content differs from the dump's in \(content.joined(separator: ", ")) (same row count, other rows)") }
        if !counts.isEmpty { parts.append("row counts differ from the dump's in \(counts.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }

    private func contents(in target: DatabaseURL, version: DigestVersion) async throws -> [String: TableContent] {
        let session = LibPQSession(url: target, applicationName: "nightshift-drill contents")
        defer { session.close() }
        return try await session.run { connection in try TableContents.read(on: connection, version: version) }
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
