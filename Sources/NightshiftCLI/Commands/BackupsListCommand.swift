import ArgumentParser
import BackOffice
import Foundation
import NightshiftCore

struct BackupsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Dumps, newest first (backup_history).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only this branch (default: every branch).") var branch: String?
    @Option(help: "Only this status: \(BackupRecord.Status.allCases.map(\.rawValue).joined(separator: ", ")).") var status: String?
    @Option(help: "Most rows to show.") var limit: Int = 50
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let status, BackupRecord.Status(rawValue: status) == nil {
            throw ValidationError("--status '\(status)' is not one of \(BackupRecord.Status.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1…10000, got \(limit)") }
    }

    func run() async throws {
        let (branch, status, limit, json) = (self.branch, self.status.flatMap(BackupRecord.Status.init(rawValue:)), self.limit, self.json)
        try await CommandDatabase.with(try database.settings()) { client, logger in
            let rows = try await BackupHistory(client: client, logger: logger).list(branch: branch, status: status, limit: limit)
            if json { try JSONOutput.print(rows); return }
            guard !rows.isEmpty else { print("no backups"); return }
            var table = Table("ID", "TYPE", "BRANCH", "STARTED", "STATUS", "SIZE", "SHA-256", "VERIFIED", "OBJECT / ERROR")
            for row in rows {
                table.add(String(row.id), row.type.rawValue, row.branch, row.startedAt.shortISO, row.status.rawValue,
                          row.sizeBytes.map(ByteCount.text) ?? "-", row.sha256.map { String($0.prefix(12)) } ?? "-",
                          row.verificationStatus.map { $0 == "true" ? "yes" : "FAILED" } ?? "-",
                          String((row.error ?? row.objectKey ?? row.localPath ?? "-").prefix(70)))
            }
            print(table.rendered)
        }
    }
}

/// `123.4 MB`.
