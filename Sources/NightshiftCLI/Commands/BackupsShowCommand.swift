import ArgumentParser
import BackOffice
import Foundation

struct BackupsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One dump: its file, object, checksum, table counts and drill verdict.")
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
                ("verified", row.verificationStatus.map { $0 == "true" ? "yes, counts matched" : "NO" }),
                ("verified at", row.verifiedAt?.shortISO), ("drill", row.verificationDetails), ("error", row.error),
                ("job", row.jobID.map { "\($0) attempt \(row.attempt ?? 0)" }),
            ]
            for (name, value) in fields { print("\(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value ?? "-")") }
            if !row.tableCounts.isEmpty {
                print("\ntable counts at dump time:")
                var table = Table("TABLE", "ROWS")
                for (name, count) in row.tableCounts.sorted(by: { $0.key < $1.key }) { table.add(name, String(count)) }
                print(table.rendered)
            }
        }
    }
}
