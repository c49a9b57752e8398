import Foundation

/// What a month's backup file holds: the month's records as the tables had them, or — written
/// once the month was closed into its extrato — only the records that arrived after the close,
/// or the extrato's own stored records (`backup create --from-extrato`: the way out for a closed
/// month whose backup no longer holds what its extrato does).
public enum BackupScope: String, Codable, Sendable, Equatable {
    case month
    case afterClose = "after_close"
    case extrato
}

/// One version of a month's backup, as its manifest lists it. Version 1 is seed 002's
/// `backup_YYYY_MM.csv`; a backup written again keeps it and becomes `backup_YYYY_MM.v2.csv`,
/// and so on: no version is ever overwritten or removed by a later one.
public struct BackupVersion: Codable, Sendable, Equatable {
    public var version: Int
    public var file: String
    public var sha256: String
    public var sizeBytes: Int
    public var records: [String: Int]
    public var totalRecords: Int
    public var createdAt: Date
    public var scope: BackupScope
    public var encryption: String?
    public var jobID: Int64?
    /// For a version written once the month was closed: SHA-256 of its records' type, id and
    /// amount (``RecordFingerprint``), so a writer that cannot read it (encrypted, no identity
    /// here) still knows what it holds and does not write the same records again.
    public var fingerprint: String?

    enum CodingKeys: String, CodingKey {
        case version, file, sha256, records, scope, encryption, fingerprint
        case sizeBytes = "size_bytes", totalRecords = "total_records", createdAt = "created_at", jobID = "job_id"
    }
}

extension BackupManifest {
    /// This manifest's own file as a version entry.
    public var current: BackupVersion {
        BackupVersion(version: version ?? 1, file: file, sha256: sha256, sizeBytes: sizeBytes, records: records,
                      totalRecords: totalRecords, createdAt: createdAt, scope: scope ?? .month, encryption: encryption, jobID: jobID,
                      fingerprint: fingerprint)
    }

    /// Every version of the month's backup, oldest first, ending with the current one.
    public var versions: [BackupVersion] { (history ?? []) + [current] }

    /// What the backup holds for the month (the home page's figure): ``monthRecords`` where the
    /// writer recorded it; for an older manifest, the current version's count when it holds the
    /// month, else every version's count added up (a closed month's versions rarely overlap).
    public var recordsForMonth: Int {
        monthRecords ?? ((scope ?? .month) == .month ? totalRecords : versions.reduce(0) { $0 + $1.totalRecords })
    }
}
