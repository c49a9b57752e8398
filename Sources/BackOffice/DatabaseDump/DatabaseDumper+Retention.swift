import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

extension DatabaseDumper {
    /// Removes this branch's local dumps (`{branch}_{YYYYMMDD}_{HHMMSS}.dump[.age]`, the branch
    /// exactly: `loja` does not touch `loja_sul`'s) older than BACKUP_RETENTION_DAYS, by the time
    /// in their name; never `current`, never one whose history row's `retention_until` was
    /// raised above its 30-day default and is still ahead (seed 003's "raise it to keep a backup
    /// longer" holds for the local copy too; the default alone does not keep a local file past
    /// BACKUP_RETENTION_DAYS, seed 004), and never one a drill is restoring right now (it goes at
    /// the next dump). The bucket's copies are the prune job's (``CloudPruner``).
    func removeExpiredLocalDumps(keeping current: URL) async {
        let folder = settings.dumpDirectory
        let now = Date()
        let cutoff = now.addingTimeInterval(-Double(settings.dumps.localRetentionDays) * 86_400)
        let expired = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { file in
            guard DumpName.branch(of: file) == settings.branch.id, file != current.lastPathComponent,
                  let time = DumpName.time(of: file, in: settings.branch.timeZone) else { return false }
            return time < cutoff
        }.map { folder.appendingPathComponent($0).path }
        guard !expired.isEmpty else { return }
        guard let history else {
            for path in expired { remove(path) }
            return
        }
        do {
            let rows = try await history.localRows(paths: expired)
            let kept = rows.filter { $0.value.keeps }
            let (logger, rowIDs) = (self.logger, rows.filter { kept[$0.key] == nil }.mapValues(\.id))
            for (path, row) in kept {
                logger.info("kept a local dump past BACKUP_RETENTION_DAYS: its retention_until was raised and is ahead",
                            metadata: ["file": "\(path)", "backup_id": "\(row.id)"])
            }
            try await history.withRemovable(Array(rowIDs.values)) { free in
                for path in expired where kept[path] == nil {
                    if let id = rowIDs[path], !free.contains(id) {
                        logger.info("kept a local dump past BACKUP_RETENTION_DAYS: a drill is restoring it", metadata: ["file": "\(path)"])
                        continue
                    }
                    Self.removeFile(path, logger: logger)
                }
            }
        } catch {
            logger.warning("local dumps past BACKUP_RETENTION_DAYS were not removed this time", metadata: ["error": "\(error)"])
        }
    }

    private func remove(_ path: String) { Self.removeFile(path, logger: logger) }

    private static func removeFile(_ path: String, logger: Logger) {
        if unlink(path) == 0 {
            logger.info("removed a local dump past BACKUP_RETENTION_DAYS", metadata: ["file": "\(URL(fileURLWithPath: path).lastPathComponent)"])
        }
    }
}
