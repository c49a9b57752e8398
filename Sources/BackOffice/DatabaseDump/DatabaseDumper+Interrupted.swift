import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

extension DatabaseDumper {
    /// A retry: an earlier attempt's pg_dump may still be running (a child outlives a
    /// SIGKILLed worker), and its temporary file, its object or its open upload may be there.
    /// Stops the one, removes the others, and marks a row left `running` failed.
    func cleanUpInterrupted(_ attempt: Attempt) async throws {
        guard let history else { return }
        try await history.client.query("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name LIKE \("nightshift-dump job \(attempt.jobID) attempt %") AND pid <> pg_backend_pid()
            """, logger: logger)
        let folder = settings.dumpDirectory
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where file.hasPrefix(".") && file.contains(".tmp-job\(attempt.jobID)-") {
            unlink(folder.appendingPathComponent(file).path)
        }
        for record in try await history.closeUnfinished(jobID: attempt.jobID, before: attempt.number) {
            var removed = 0
            if let key = record.objectKey, let store {
                removed += try await store.abortIncompleteUploads(prefix: key)
                if try await store.head(key) != nil {
                    try await store.delete([key])
                    removed += 1
                }
            }
            if let path = record.localPath, unlink(path) == 0 { removed += 1 }
            if removed > 0 {
                logger.warning("cleaned up after an earlier attempt of this dump",
                               metadata: ["backup_id": "\(record.id)", "attempt": "\(record.attempt ?? 0)", "removed": "\(removed)"])
            }
        }
    }
}
