import Age
import Foundation
import Logging
import PostgresNIO

/// Checks a month's backup: the file and manifest exist, checksum and size match, the header
/// is right, the record count matches the manifest — and, with a database:
///
/// - while the month is open (no extrato), its rows in the tables match the current version;
/// - once it is closed, every record of the extrato and every record of the month still in the
///   tables (arrived after the close) is in some version of the backup (by type and id). A
///   closed month's tables are empty, so they say nothing about the backup; the extrato does.
///
/// Earlier versions (kept beside the current one, see ``MonthBackupWriter``) are checked too:
/// one that is damaged is a note, and its records count for nothing. An encrypted backup is
/// decrypted on the way when an identity is configured; without one, what can be checked is
/// (checksum, size, the age header and its recipients) and the report says the contents were
/// not verified.
public struct BackupVerifier: Sendable {
    public struct Report: Sendable, Equatable {
        public var month: String
        public var file: String
        public var sizeBytes: Int
        public var records: [String: Int]
        /// What is wrong with the local backup: the close refuses to run while there is any.
        public var problems: [String]
        /// What is wrong with its copy in the bucket, when one is configured.
        public var offsiteProblems: [String] = []
        /// False for an encrypted backup read without an identity: header and record count
        /// were not checked (see ``notes``).
        public var contentsVerified = true
        public var notes: [String] = []
        /// The month has its extrato (known only with a database).
        public var closed = false
        /// Every version's file, oldest first (the last is ``file``).
        public var versions: [String] = []
        /// Records of a closed month that arrived after its close, per type.
        public var lateRecords: [LateRecords] = []
        /// Of the month's rows in the tables, how many of each type the backup holds: what a
        /// close may move (with a database).
        public var heldLive: [String: Int] = [:]
        /// The exact `valor` sums per type of those rows, when the backup recorded them (an
        /// open month's current version).
        public var heldTotals: [String: String]?
        /// What the backup holds, record by record: amount in cents by id by type, from every
        /// intact version whose contents were read (with a database). Nil when the records
        /// could not be read (encrypted, no identity here): then only counts and totals compare.
        public var heldRecords: [String: [Int64: Int64]]?
        /// A closed month: how many records of its extrato no intact version holds (then the
        /// way out is a version written from the extrato, ``BackupError/extratoNotBackedUp(_:problems:)``).
        public var extratoUnheld = 0
        /// An open month whose current version could not be read here: its manifest's
        /// fingerprint of the records it holds (``RecordFingerprint``), which the close compares
        /// with what it moves — a record swapped for another of the same amount, or two amounts
        /// edited in opposite directions, differ there though count and total agree.
        public var heldFingerprint: String?
        /// A closed month: what the backup holds for it, per type, across every intact version
        /// (distinct records; versions that could not be read count by their manifests), rather
        /// than the current version's count alone (break-close 15).
        public var monthRecords: [String: Int]?
        public var ok: Bool { problems.isEmpty && offsiteProblems.isEmpty }
    }

    /// When given, the month's rows still in the tables are compared with the backup.
    public let client: PostgresClient?
    public let baseDirectory: URL
    /// When given, the bucket's copy is checked too.
    public let offsite: OffsiteCopy?
    /// The identities that open encrypted backups, if this machine has them.
    public let encryption: BackupEncryption
    public let logger: Logger

    public init(client: PostgresClient?, baseDirectory: URL, offsite: OffsiteCopy? = nil, encryption: BackupEncryption = .off, logger: Logger) {
        self.client = client
        self.baseDirectory = baseDirectory
        self.offsite = offsite
        self.encryption = encryption
        self.logger = logger
    }

    /// The manifest of a backup that verifies; throws ``BackupError/missingOrInvalid(_:problems:)``
    /// naming the problems otherwise, or ``BackupError/lateRecords(_:findings:)`` when the only
    /// problem is records that arrived after the close and are in no version yet.
    public func verifiedManifest(_ month: StudioMonth) async throws -> BackupManifest {
        try await verified(month).manifest
    }

    /// The report and manifest of a backup that verifies (see ``verifiedManifest(_:)``).
    public func verified(_ month: StudioMonth) async throws -> (report: Report, manifest: BackupManifest) {
        let report = try await verify(month)
        let late = report.lateRecords.filter { !$0.backedUp }.map(\.description)
        if !report.problems.isEmpty && report.problems == late { throw BackupError.lateRecords(month, findings: late) }
        if report.extratoUnheld > 0 { throw BackupError.extratoNotBackedUp(month, problems: report.problems) }
        guard report.problems.isEmpty, let manifest = try? readManifest(BackupLocation.found(baseDirectory: baseDirectory, month: month)) else {
            throw BackupError.missingOrInvalid(month, problems: report.problems)
        }
        return (report, manifest)
    }

    public func verify(_ month: StudioMonth) async throws -> Report {
        let location = BackupLocation.found(baseDirectory: baseDirectory, month: month)
        var report = Report(month: month.label, file: location.csv.path, sizeBytes: 0, records: [:], problems: [])
        guard FileManager.default.fileExists(atPath: location.csv.path) else {
            report.problems.append("\(location.csv.path) does not exist")
            return report
        }
        let manifest: BackupManifest
        do {
            manifest = try readManifest(location)
        } catch {
            report.problems.append("manifest \(location.manifest.lastPathComponent) is missing or unreadable, so the backup may be incomplete "
                + "(`nightshift backup create` for the month rebuilds it from the intact backup files)")
            return report
        }
        report.versions = manifest.versions.map { location.file($0.file).path }
        let closedMonth: ClosedMonth? = if let client { try await ClosedMonth.read(month, client: client, logger: logger) } else { nil }
        report.closed = closedMonth != nil
        let collectIDs = client != nil
        // One pass over the current file: size and checksum of what is stored, records of the CSV.
        guard let scan = try BackupFileScan.read(location.csv, encrypted: manifest.encryption != nil, encryption: encryption, collectIDs: collectIDs) else {
            report.problems.append("\(location.csv.path) cannot be read")
            return report
        }
        report.sizeBytes = scan.sizeBytes
        report.records = scan.counter.byFirstField
        report.problems += scan.problems(against: manifest.current)
        if manifest.encryption != nil && !scan.contentsRead && scan.decryptionError == nil {
            report.contentsVerified = false
            let expected = manifest.recipients?.count ?? 0
            do {
                guard let header = try AgeHeader.read(prefix: scan.headerPrefix) else { throw AgeError.truncated("it ends inside the header") }
                let stanzas = header.stanzaTypes["X25519"] ?? 0
                if stanzas != expected { report.problems.append("the age header holds \(stanzas) recipient(s), the manifest says \(expected)") }
            } catch {
                report.problems.append("\(error)")
            }
            report.notes.append("encrypted: checksum, size and age header (\(expected) recipient(s)) checked; header line and record count not verified, as no BACKUP_AGE_IDENTITY_FILE is set here")
        }
        // What the backup holds, from the versions that verify: ids when their contents can be
        // read, else their manifests' counts.
        // Oldest first: of an id in two versions, the later one's amount is what the backup holds.
        var held = Holdings()
        for version in manifest.history ?? [] {
            let url = location.file(version.file)
            let earlier = try BackupFileScan.read(url, encrypted: version.encryption != nil, encryption: encryption, collectIDs: collectIDs)
            let problems = earlier.map { $0.problems(against: version) } ?? ["it is missing"]
            if problems.isEmpty {
                held.add(earlier!, version)
            } else if let earlier, earlier.onlyUndecryptable(against: version) {
                // The file is the one written; only this identity cannot open it (break-office2 15).
                held.addUnread(version)
                report.notes.append("earlier version \(version.version) (\(version.file)) is intact but cannot be decrypted with the identity here "
                    + "(encrypted to another key?): its records are counted from its manifest")
            } else {
                report.notes.append("earlier version \(version.version) (\(version.file)) is not intact: \(problems.joined(separator: "; ")); its records are not counted")
            }
        }
        if scan.problems(against: manifest.current).isEmpty {
            held.add(scan, manifest.current)
        } else if scan.onlyUndecryptable(against: manifest.current) {
            held.addUnread(manifest.current)
        }
        if let offsite, report.problems.isEmpty { report.offsiteProblems = await offsite.problems(location, manifest: manifest) }
        guard let client else { return report }
        if let closedMonth {
            let vouched = closedMonth.check(held, into: &report)
            // Late records an unread version holds by its fingerprint are held with exactly these
            // amounts: the close compares what it moves with them.
            report.heldRecords = held.amounts.merging(vouched) { $0.merging($1) { read, _ in read } }
            report.monthRecords = Dictionary(uniqueKeysWithValues: ClosedMonth.types.map { type in
                (type, (held.amounts[type]?.count ?? 0) + (held.unreadCounts[type] ?? 0))
            })
        } else if scan.contentsRead && scan.problems(against: manifest.current).isEmpty {
            // Record by record: a record swapped for another, or two amounts edited so that the
            // count and total stay the same, is a difference too.
            let records = scan.counter.amounts
            report.heldRecords = records
            report.heldLive = manifest.records
            report.heldTotals = manifest.totals
            let live = try await MonthRows.read(month, client: client, logger: logger)
            if live.count > 0 {
                for type in ClosedMonth.types {
                    let held = records[type] ?? [:], rows = live.amounts[type] ?? [:]
                    let unheld = rows.keys.filter { held[$0] == nil }.count
                    let changed = rows.filter { id, cents in held[id].map { $0 != cents } ?? false }.count
                    let gone = held.keys.filter { rows[$0] == nil }.count
                    if unheld > 0 { report.problems.append("\(unheld) \(type) record(s) of \(month.label) in the database are in no backup: create the backup again") }
                    if changed > 0 { report.problems.append("\(changed) \(type) record(s) of \(month.label) have another amount in the database than in the backup (changed since): create the backup again") }
                    if gone > 0 { report.problems.append("\(gone) \(type) record(s) of the backup of \(month.label) are no longer in the database (deleted since): create the backup again") }
                }
            }
        } else {
            let (live, totals) = try await liveCounts(month, client: client)
            report.heldLive = manifest.records
            report.heldTotals = manifest.totals
            report.heldFingerprint = manifest.fingerprint
            if let fingerprint = manifest.fingerprint, live.values.reduce(0, +) > 0,
               RecordFingerprint.of(try await MonthRows.read(month, client: client, logger: logger).amounts) != fingerprint {
                report.problems.append("the records of \(month.label) in the database are not the ones the backup holds (a record was added, removed, "
                    + "swapped or changed since; checked by the manifest's fingerprint, as the file cannot be read here): create the backup again")
            }
            if live.values.reduce(0, +) > 0 {
                for (type, count) in live.sorted(by: { $0.key < $1.key }) where (manifest.records[type] ?? 0) != count {
                    report.problems.append("the database has \(count) \(type) records for \(month.label), the backup \(manifest.records[type] ?? 0): create the backup again")
                }
                for (type, total) in totals.sorted(by: { $0.key < $1.key }) where live[type] == manifest.records[type] {
                    if let held = manifest.totals?[type], held != total {
                        report.problems.append("the \(type) records of \(month.label) total \(total) in the database, \(held) in the backup (a record changed since): create the backup again")
                    }
                }
            }
        }
        return report
    }

    func readManifest(_ location: BackupLocation) throws -> BackupManifest {
        try BackupManifest.decoder.decode(BackupManifest.self, from: Data(contentsOf: location.manifest))
    }

    /// The month's rows in the tables: counts and exact `valor` sums per type.
    func liveCounts(_ month: StudioMonth, client: PostgresClient) async throws -> ([String: Int], [String: String]) {
        var counts: [String: Int] = ["pagamento": 0, "sessao": 0, "comissao": 0, "gasto": 0], totals: [String: String] = [:]
        for try await (type, count, total) in try await client.query(PostgresQuery(unsafeSQL: MonthBackupWriter.countSQL(month)), logger: logger)
            .decode((String, Int64, String).self) {
            counts[type] = Int(count)
            totals[type] = total
        }
        return (counts, totals)
    }
}

/// The records the intact versions of a backup hold: ids per type where their contents were
/// read, and the manifests' counts of those that could not be (encrypted, no identity here).
struct Holdings {
    /// Amount in cents by id, by type (a later version's amount wins for an id in two).
    var amounts: [String: [Int64: Int64]] = [:]
    var unreadCounts: [String: Int] = [:]
    /// The manifests' fingerprints of the versions that could not be read here: such a version
    /// holds exactly the records whose fingerprint this is (the writer's rule, ``MonthBackupWriter``'s `holds`).
    var unreadFingerprints: Set<String> = []

    mutating func add(_ scan: BackupFileScan, _ version: BackupVersion) {
        if scan.contentsRead {
            amounts.merge(scan.counter.amounts) { $0.merging($1) { _, later in later } }
        } else {
            addUnread(version)
        }
    }

    mutating func addUnread(_ version: BackupVersion) {
        unreadCounts.merge(version.records) { $0 + $1 }
        if let fingerprint = version.fingerprint { unreadFingerprints.insert(fingerprint) }
    }
}
