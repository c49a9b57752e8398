import Foundation
import Logging
import ObjectStorage
#if canImport(Glibc)
import Glibc
#endif

/// What an attempt that never finished may have left: its temporary file (`.{name}.tmp-…`
/// beside its local path), the dump file itself (moved into place before the upload failed or
/// the worker died), its object and its open multipart upload. History marks such a row
/// failed; this removes the rest, so nothing outlives the attempt that made it.
enum DumpLeftovers {
    /// Removes them, the local files first and whatever the store does (a store that is away
    /// must not leave a temporary file, or a plaintext, on disk); returns how many things were
    /// there, or throws the store's error once the local files are gone.
    static func remove(_ record: BackupRecord, store: (any ObjectStore)?, logger: Logger) async throws -> Int {
        var removed = 0
        if let path = record.localPath {
            if unlink(path) == 0 { removed += 1 }
            let file = URL(fileURLWithPath: path)
            let folder = file.deletingLastPathComponent()
            let prefix = ".\(file.lastPathComponent).tmp-"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
                if unlink(folder.appendingPathComponent(name).path) == 0 { removed += 1 }
            }
        }
        var storeError: (any Error)?
        if let key = record.objectKey, let store {
            do {
                removed += try await store.abortIncompleteUploads(prefix: key)
                if try await store.head(key) != nil {
                    try await store.delete([key])
                    removed += 1
                }
            } catch {
                storeError = error
            }
        }
        if removed > 0 {
            logger.warning("removed what an unfinished dump left", metadata: [
                "backup_id": "\(record.id)", "attempt": "\(record.attempt ?? 0)", "removed": "\(removed)",
            ])
        }
        if let storeError { throw storeError }
        return removed
    }

    /// Under the branch's dump lock (no dump of it alive): removes each abandoned `running`
    /// row's leftovers, then marks failed those whose leftovers are all gone. A row whose
    /// object or upload the store could not remove stays `running` (its local files gone), so
    /// the next sweep tries again instead of forgetting it (break-dumps 8).
    static func closeAbandoned(branch: String, history: BackupHistory, store: (any ObjectStore)?, logger: Logger) async throws -> [BackupRecord] {
        var cleared: [Int64] = []
        for record in try await history.abandoned(branch: branch) {
            do {
                _ = try await remove(record, store: store, logger: logger)
                cleared.append(record.id)
            } catch {
                logger.warning("an unfinished dump's object was not removed: its row stays running until a later sweep removes it",
                               metadata: ["backup_id": "\(record.id)", "error": "\(error)"])
            }
        }
        return try await history.closeAbandoned(branch: branch, ids: cleared)
    }
}
