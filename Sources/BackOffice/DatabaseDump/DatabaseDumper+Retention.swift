import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension DatabaseDumper {
    /// Removes local dumps older than BACKUP_RETENTION_DAYS, by the time in their name; never
    /// `current`. The bucket's copies are the prune job's (``CloudPruner``).
    func removeExpiredLocalDumps(keeping current: URL) {
        let folder = settings.dumpDirectory
        let cutoff = Date().addingTimeInterval(-Double(settings.dumps.localRetentionDays) * 86_400)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where file.hasPrefix(settings.branch.id + "_") && file != current.lastPathComponent {
            if let time = DumpName.time(of: file, in: settings.branch.timeZone), time < cutoff {
                unlink(folder.appendingPathComponent(file).path)
                logger.info("removed a local dump past BACKUP_RETENTION_DAYS", metadata: ["file": "\(file)"])
            }
        }
    }
}
