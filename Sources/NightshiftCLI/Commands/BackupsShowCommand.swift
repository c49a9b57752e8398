import ArgumentParser
import BackOffice
import Foundation
import NightshiftCore

struct BackupsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One dump: its file, object, checksum, and per table the rows at dump time and what the last drill found.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "backup_history id.") var id: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let (id, json) = (self.id, self.json)
        try await CommandDatabase.with(try database.settings()) { client, logger in
            guard let row = try await BackupHistory(client: client, logger: logger).record(id) else {
                throw CommandFailure("backup \(id) not found: see `nightshift backups list`")
            }
            if json { try JSONOutput.print(row); return }
            let fields: [(String, String?)] = [
                ("id", String(row.id)), ("type", row.type.rawValue), ("branch", row.branch), ("status", row.status.rawValue),
                ("started at", row.startedAt.shortISO), ("finished at", row.finishedAt?.shortISO),
                ("size", row.sizeBytes.map { "\(ByteCount.text($0)) (\($0) bytes)" }), ("sha256", row.sha256),
                ("local file", row.localPath), ("object", row.objectKey), ("retention until", row.retentionUntil.shortISO),
                ("verified", Self.verdict(row)), ("verified at", row.verifiedAt?.shortISO), ("drill", Self.drillReason(row)),
                ("drill note", row.drillNote.map { "\($0): restore from the store's copy, not the local file" }), ("error", row.error),
                ("job", row.jobID.map { "\($0) attempt \(row.attempt ?? 0)" }),
            ]
            for (name, value) in fields { print("\(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value ?? "-")") }
            let findings = row.tableFindings
            if !findings.isEmpty {
                print("\ntables at dump time, and what the last drill found:")
                var table = Table("TABLE", "ROWS", "DRILL")
                for finding in findings { table.add(finding.table, finding.rows.map(String.init) ?? "-", Self.text(finding)) }
                print(table.rendered)
            }
        }
    }

    static func verdict(_ row: BackupRecord) -> String? {
        row.verificationStatus.map { status in
            switch status {
            case "true": row.tableDigests.isEmpty ? "yes, row counts matched (dump made before content digests)" : "yes, every table's rows and content matched"
            case "unverified": "not verified: encrypted, and the drill had no identity to open it"
            default: "NO, the drill failed"
            }
        }
    }

    /// The drill's reason when it failed; where it restored when it passed.
    static func drillReason(_ row: BackupRecord) -> String? {
        guard let details = row.verificationDetails.flatMap({ try? JSONDecoder().decode(RestoreDrill.Report.self, from: Data($0.utf8)) }) else {
            return row.verificationDetails
        }
        return details.reason ?? "restored into \(details.restoredInto), \(details.tables) tables compared"
    }

    static func text(_ finding: TableFinding) -> String {
        switch finding.check {
        case .matched: "content matched"
        case .countMatched: "count matched (no digest in this dump)"
        case .notDrilled: "not drilled"
        case .notCompared: "not compared (the restore failed)"
        case .differs where finding.contentOnly: "CONTENT DIFFERS (same count, other rows)"
        case .differs: "COUNT DIFFERS: restored \(finding.restoredRows.map(String.init) ?? "none")"
        }
    }
}
