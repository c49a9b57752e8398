import Foundation
import ObjectStorage

/// Written beside a backup: what a complete backup of the month must look like.
public struct BackupManifest: Codable, Sendable, Equatable {
    public var month: String
    public var file: String
    public var sha256: String
    public var sizeBytes: Int
    public var records: [String: Int]
    public var totalRecords: Int
    public var columns: [String]
    public var createdAt: Date
    public var jobID: Int64?
    /// `age` when the file is encrypted (then `sha256` and `size_bytes` are of the encrypted
    /// file, as stored); nil for a plain CSV.
    public var encryption: String?
    /// The public keys it was encrypted to (`age1…`).
    public var recipients: [String]?
    /// 1 (or absent, in manifests written before versions) for `backup_YYYY_MM.csv`; n for
    /// `backup_YYYY_MM.vN.csv`.
    public var version: Int?
    /// Absent means `month`: the month's records as the tables had them.
    public var scope: BackupScope?
    /// The exact sum of `valor` per record type in this file (`"1234.50"`); absent in
    /// manifests written before it was recorded.
    public var totals: [String: String]?
    /// The earlier versions, oldest first, each still on disk (and in the bucket) beside this one.
    public var history: [BackupVersion]?
    /// See ``BackupVersion/fingerprint``.
    public var fingerprint: String?
    /// What the backup holds for the month across its versions when this one was written
    /// (distinct records; for an open month, this version's count): what the home page shows.
    /// Absent in manifests written before it was recorded.
    public var monthRecords: Int?

    enum CodingKeys: String, CodingKey {
        case month, file, sha256, records, columns, encryption, recipients, version, scope, totals, history, fingerprint
        case monthRecords = "month_records"
        case sizeBytes = "size_bytes", totalRecords = "total_records", createdAt = "created_at", jobID = "job_id"
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Where a month's backup lives: `{BACKUP_DIR}/YYYY_MM/backup_YYYY_MM.csv` (`.csv.age` when
/// encrypted) and its manifest.
public struct BackupLocation: Sendable {
    public let baseDirectory: URL
    public let month: StudioMonth
    public let encrypted: Bool
    /// Which version's file ``csv`` names: 1 is `backup_YYYY_MM.csv`, n is `backup_YYYY_MM.vN.csv`.
    public let version: Int

    public init(baseDirectory: URL, month: StudioMonth, encrypted: Bool = false, version: Int = 1) {
        self.baseDirectory = baseDirectory
        self.month = month
        self.encrypted = encrypted
        self.version = max(1, version)
    }

    /// The month's current backup as it is on disk: the version and encryption its manifest
    /// names (or, with no manifest, version 1, encrypted when only the `.age` file is there).
    public static func found(baseDirectory: URL, month: StudioMonth) -> BackupLocation {
        let plain = BackupLocation(baseDirectory: baseDirectory, month: month)
        if let data = try? Data(contentsOf: plain.manifest), let manifest = try? BackupManifest.decoder.decode(BackupManifest.self, from: data) {
            return BackupLocation(baseDirectory: baseDirectory, month: month, encrypted: manifest.encryption != nil, version: manifest.version ?? 1)
        }
        let sealed = BackupLocation(baseDirectory: baseDirectory, month: month, encrypted: true)
        let exists = { (url: URL) in FileManager.default.fileExists(atPath: url.path) }
        return !exists(plain.csv) && exists(sealed.csv) ? sealed : plain
    }

    public var directory: URL { baseDirectory.appendingPathComponent(month.folderName, isDirectory: true) }
    /// `backup_YYYY_MM.csv` (version n: `backup_YYYY_MM.vN.csv`), `.age` appended when encrypted.
    public var fileName: String {
        "backup_\(month.folderName)" + (version > 1 ? ".v\(version)" : "") + ".csv" + (encrypted ? BackupEncryption.suffix : "")
    }
    /// A file of the month's folder by name (a version the manifest lists).
    public func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
    /// Every version's file the manifest lists, oldest first, then the manifest itself.
    public func files(of manifest: BackupManifest) -> [URL] { manifest.versions.map { file($0.file) } + [self.manifest] }
    /// Each version's file that is missing or not the file the manifest describes (size, SHA-256).
    public func damagedVersions(of manifest: BackupManifest) -> [String] {
        manifest.versions.compactMap { version in
            guard let (size, sha256) = try? FileDigest.sha256(of: file(version.file)) else { return "\(version.file) is missing" }
            return size == Int64(version.sizeBytes) && sha256 == version.sha256 ? nil
                : "\(version.file) is not the file its manifest describes (size or SHA-256 differ)"
        }
    }

    /// The backup's data file (the CSV, or its encrypted form).
    public var csv: URL { directory.appendingPathComponent(fileName) }
    public var manifest: URL { directory.appendingPathComponent("backup_\(month.folderName).manifest.json") }
}
