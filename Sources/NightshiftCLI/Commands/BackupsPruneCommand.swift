import ArgumentParser
import BackOffice
import Foundation
import NightshiftCore

struct BackupsPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete dumps older than BACKUP_CLOUD_RETENTION_DAYS from the store, keeping at least BACKUP_MIN_KEEP.",
        discussion: "A backup whose retention_until is in the future is kept too. --dry-run lists what would go and why.")
    @OptionGroup var database: DatabaseOptions
    @Flag(name: .customLong("dry-run"), help: "List what would be deleted, delete nothing.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let settings = try database.settings()
        let (dryRun, json) = (self.dryRun, self.json)
        try await CommandDatabase.with(settings) { client, logger in
            let pruner = CloudPruner(settings: settings.backOffice, store: StoreCatalog.stores(settings, logger: logger).store,
                                     client: client, logger: logger)
            let plan = dryRun ? try await pruner.plan() : try await pruner.prune()
            if json { try JSONOutput.print(plan); return }
            var table = Table("ACTION", "OBJECT", "MADE", "SIZE", "WHY")
            for entry in plan.delete { table.add(dryRun ? "would delete" : "deleted", entry.key, entry.madeAt?.shortISO ?? "-", ByteCount.text(entry.sizeBytes), entry.reason) }
            for entry in plan.keep { table.add("keep", entry.key, entry.madeAt?.shortISO ?? "-", ByteCount.text(entry.sizeBytes), entry.reason) }
            print(plan.delete.isEmpty && plan.keep.isEmpty ? "no dumps in the store" : table.rendered)
        }
    }
}
