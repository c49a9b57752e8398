import Foundation

/// One table of a dump as `backups show` and the backup's page list it: its row count at dump
/// time and what the last drill found of it.
public struct TableFinding: Sendable, Equatable {
    public enum Check: String, Sendable, Equatable {
        /// The restored rows' count and digest equal the dump's.
        case matched
        /// The restored count equals the dump's; the dump had no digest to compare (made
        /// before digests were taken).
        case countMatched
        /// The count or the content differs (``RestoreDrill/Report/Difference``).
        case differs
        /// No drill has restored this dump (or it could not be opened: `unverified`).
        case notDrilled
        /// The last drill failed before it could compare (the dump did not restore).
        case notCompared
    }

    public var table: String
    public var rows: Int64?
    /// Rows in the restored copy, when the drill found another number.
    public var restoredRows: Int64?
    public var check: Check
    /// True when what differs is the content alone: as many rows, not the same rows.
    public var contentOnly: Bool = false
}

extension BackupRecord {
    /// Every table of the dump (and any the restore had that the dump did not), with the last
    /// drill's finding for each, by name.
    public var tableFindings: [TableFinding] {
        let report = verificationDetails.flatMap { try? JSONDecoder().decode(DrillFindings.self, from: Data($0.utf8)) }
        let drilled = (verificationStatus == "true" || verificationStatus == "false") && report?.differences != nil
        // A failed verdict with no table named: the restore itself failed, nothing was compared.
        let compared = verificationStatus == "true" || !(report?.differences ?? []).isEmpty
        let differences = Dictionary((report?.differences ?? []).map { ($0.table, $0) }, uniquingKeysWith: { first, _ in first })
        let digests = report?.contentChecked ?? false
        return Set(tableCounts.keys).union(differences.keys).sorted().map { table in
            if let difference = differences[table] {
                return TableFinding(table: table, rows: difference.dumped, restoredRows: difference.restored, check: .differs,
                                    contentOnly: difference.contentOnly)
            }
            guard drilled else { return TableFinding(table: table, rows: tableCounts[table], check: .notDrilled) }
            guard compared else { return TableFinding(table: table, rows: tableCounts[table], check: .notCompared) }
            return TableFinding(table: table, rows: tableCounts[table], check: digests ? .matched : .countMatched)
        }
    }
}

/// What `tableFindings` reads of a drill's report: tolerant of reports written before digests.
private struct DrillFindings: Decodable {
    var contentChecked: Bool?
    var differences: [RestoreDrill.Report.Difference]?
}
