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
    /// Removes them; returns how many things were there.
    static func remove(_ record: BackupRecord, store: (any ObjectStore)?, logger: Logger) async throws -> Int {
        var removed = 0
        if let key = record.objectKey, let store {
            removed += try await store.abortIncompleteUploads(prefix: key)
            if try await store.head(key) != nil {
                try await store.delete([key])
                removed += 1
            }
        }
        if let path = record.localPath {
            if unlink(path) == 0 { removed += 1 }
            let file = URL(fileURLWithPath: path)
            let folder = file.deletingLastPathComponent()
            let prefix = ".\(file.lastPathComponent).tmp-"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
                if unlink(folder.appendingPathComponent(name).path) == 0 { removed += 1 }
            }
        }
        if removed > 0 {
            logger.warning("removed what an unfinished dump left", metadata: [
                "backup_id": "\(record.id)", "attempt": "\(record.attempt ?? 0)", "removed": "\(removed)",
            ])
        }
        return removed
    }
}
