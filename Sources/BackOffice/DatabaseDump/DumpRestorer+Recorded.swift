import Database
import Foundation
import NightshiftCore

extension DumpRestorer {
    /// `nightshift backups restore`: backup `record`, fetched and verified, restored into
    /// `target` with `--clean --if-exists`. Held in use for the whole run, as a drill holds its
    /// dump (``BackupHistory/whileInUse(_:_:)``): a prune or a local retention pass that comes
    /// meanwhile keeps the file and the object being restored. `starting` hears what is about to
    /// be restored (and any note, such as a damaged local copy replaced by the store's).
    public func restoreBackup(_ record: BackupRecord, history: BackupHistory, into target: DatabaseURL,
                        progress: any WorkProgressReporting = NoProgress(),
                        starting: @escaping @Sendable (Fetched) -> Void = { _ in }) async throws {
        try await history.whileInUse(record.id) {
            // A prune may have expired it just before the lock was taken; an expired dump's
            // files may be gone, which fetch says.
            guard let current = try await history.record(record.id) else {
                throw DumpError.notFound("backup \(record.id) is no longer in backup_history")
            }
            let fetched = try await fetch(current)
            defer { fetched.discard() }
            starting(fetched)
            try await restore(fetched.file, into: target, clean: true, progress: progress)
        }
    }
}
