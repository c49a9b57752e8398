import Age
import Crypto
import Foundation
import Logging
import PostgresNIO

/// Checks a month's backup: the file and manifest exist, checksum and size match, the header
/// is right, the record count matches the manifest — and, while the month is still in the
/// tables, matches the database. An encrypted backup is decrypted on the way when an identity
/// is configured; without one, what can be checked is (checksum, size, the age header and its
/// recipients) and the report says the contents were not verified.
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
    /// naming the problems otherwise.
    public func verifiedManifest(_ month: StudioMonth) async throws -> BackupManifest {
        let report = try await verify(month)
        guard report.problems.isEmpty, let manifest = try? readManifest(BackupLocation.found(baseDirectory: baseDirectory, month: month)) else {
            throw BackupError.missingOrInvalid(month, problems: report.problems)
        }
        return manifest
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
            report.problems.append("manifest \(location.manifest.lastPathComponent) is missing or unreadable, so the backup may be incomplete")
            return report
        }
        // One pass over the file: size and checksum of what is stored, records of the CSV.
        guard let handle = FileHandle(forReadingAtPath: location.csv.path) else {
            report.problems.append("\(location.csv.path) cannot be read")
            return report
        }
        defer { try? handle.close() }
        let encrypted = manifest.encryption != nil
        var decryptor = encrypted && encryption.canDecrypt ? AgeDecryptor(identities: encryption.identities) : nil
        var decryptionError: AgeError?
        var headerPrefix: [UInt8] = []
        var plaintext: [UInt8] = []
        var hasher = SHA256()
        var counter = CSVRecordCounter()
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
            if !encrypted {
                counter.feed(chunk)
            } else if decryptor != nil, decryptionError == nil {
                plaintext.removeAll(keepingCapacity: true)
                do { try decryptor!.update(Array(chunk), into: &plaintext) } catch { decryptionError = error }
                counter.feed(plaintext)
            } else if headerPrefix.count < 1 << 16 {
                headerPrefix += chunk.prefix(1 << 16)
            }
        }
        if decryptor != nil, decryptionError == nil {
            plaintext.removeAll(keepingCapacity: true)
            do { try decryptor!.finish(into: &plaintext) } catch { decryptionError = error }
            counter.feed(plaintext)
        }
        counter.finish()
        report.sizeBytes = size
        report.records = counter.byFirstField
        let sha256 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if size != manifest.sizeBytes { report.problems.append("size is \(size) bytes, the manifest says \(manifest.sizeBytes) (truncated?)") }
        if sha256 != manifest.sha256 { report.problems.append("checksum does not match the manifest (the file changed or is corrupt)") }
        if let decryptionError {
            report.problems.append("it cannot be decrypted: \(decryptionError)")
        } else if encrypted && decryptor == nil {
            report.contentsVerified = false
            let expected = manifest.recipients?.count ?? 0
            do {
                guard let header = try AgeHeader.read(prefix: headerPrefix) else { throw AgeError.truncated("it ends inside the header") }
                let stanzas = header.stanzaTypes["X25519"] ?? 0
                if stanzas != expected { report.problems.append("the age header holds \(stanzas) recipient(s), the manifest says \(expected)") }
            } catch {
                report.problems.append("\(error)")
            }
            report.notes.append("encrypted: checksum, size and age header (\(expected) recipient(s)) checked; header line and record count not verified, as no BACKUP_AGE_IDENTITY_FILE is set here")
        }
        if report.contentsVerified && decryptionError == nil {
            if counter.header != BackupCSV.columns { report.problems.append("header is not the backup's columns") }
            if counter.records != manifest.totalRecords {
                report.problems.append("\(counter.records) records in the file, the manifest says \(manifest.totalRecords)")
            }
        }
        if let offsite, report.problems.isEmpty { report.offsiteProblems = await offsite.problems(location) }
        if let client {
            let live = try await liveCounts(month, client: client)
            if live.values.reduce(0, +) > 0 {
                for (type, count) in live where (manifest.records[type] ?? 0) != count {
                    report.problems.append("the database has \(count) \(type) records for \(month.label), the backup \(manifest.records[type] ?? 0): create the backup again")
                }
            }
        }
        return report
    }

    func readManifest(_ location: BackupLocation) throws -> BackupManifest {
        try BackupManifest.decoder.decode(BackupManifest.self, from: Data(contentsOf: location.manifest))
    }

    func liveCounts(_ month: StudioMonth, client: PostgresClient) async throws -> [String: Int] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT (SELECT count(*) FROM pagamentos p WHERE \(MonthRecords.inMonth("p", month)))::int,
                   (SELECT count(*) FROM sessoes s WHERE \(MonthRecords.inMonth("s", month)))::int,
                   (SELECT count(*) FROM comissoes cm WHERE \(MonthRecords.comissaoInMonth("cm", month)))::int,
                   (SELECT count(*) FROM gastos g WHERE \(MonthRecords.inMonth("g", month)))::int
            """), logger: logger)
        for try await (p, s, c, g) in rows.decode((Int, Int, Int, Int).self) {
            return ["pagamento": p, "sessao": s, "comissao": c, "gasto": g]
        }
        return [:]
    }
}
