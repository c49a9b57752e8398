import Foundation

/// One row of `backup_history`, as `nightshift backups list/show` print it and the API serves it.
public struct BackupRecord: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case daily, manual, preMigration = "pre-migration" }
    public enum Status: String, Sendable, Codable, CaseIterable { case running, completed, failed, expired }

    public var id: Int64
    public var type: Kind
    public var branch: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: Status
    public var sizeBytes: Int64?
    public var sha256: String?
    public var objectKey: String?
    public var localPath: String?
    /// `true` / `false` after a drill (seed 003's values), `unverified` when an encrypted dump
    /// was drilled without its identity; nil before.
    public var verificationStatus: String?
    public var verifiedAt: Date?
    /// What the last drill found (``RestoreDrill/Report``, as JSON): where it restored, whether
    /// it compared contents, and each table whose count or content differed.
    public var verificationDetails: String?
    /// Rows per table (`schema.table`) at dump time.
    public var tableCounts: [String: Int64]
    public var retentionUntil: Date
    public var error: String?
    public var jobID: Int64?
    public var attempt: Int?
    /// `age` for an encrypted dump; nil for a plain one.
    public var encryption: String? = nil
    /// A digest of each table's rows at dump time (``TableContent``), which a drill compares
    /// with the restored rows'; empty for a dump made before digests were taken.
    public var tableDigests: [String: String] = [:]
    /// The rule ``tableDigests`` were taken by (``DigestVersion``); nil when there are none.
    public var digestVersion: Int? = nil

    /// How a drill compares this dump's tables: by ``digestVersion``'s rule, or on counts
    /// alone when the dump has no digests (or digests of a rule this build does not know).
    public var digestRule: DigestVersion? {
        guard !tableDigests.isEmpty else { return nil }
        return DigestVersion(rawValue: digestVersion ?? DigestVersion.v1.rawValue)
    }
}

extension BackupRecord {
    /// What the last drill said beside its verdict: that the local copy was damaged and the
    /// store's copy was restored instead (break-dumps 5: an operator restoring by hand must not
    /// take the local file). Nil when it said nothing.
    public var drillNote: String? {
        verificationDetails.flatMap { try? JSONDecoder().decode(RestoreDrill.Report.self, from: Data($0.utf8)) }?.note
    }
}
