import Foundation
import ObjectStorage

extension DumpRestorer {
    /// Local-only mode (the store is a folder, BACKUP_STORE_DIR): reads the store's copy of
    /// `record` back and compares its bytes' SHA-256 with the one recorded — the folder's
    /// sidecar checksum is what was put, not what is there now (break-office2 2). A damaged
    /// copy is replaced by the local file `local` (which the caller found intact). Returns a
    /// note for the drill's report when the copy was missing or damaged; nil when it matches,
    /// when the store is a bucket (S3 checked the upload's checksum) or the dump has no copy.
    public func readBackStoreCopy(_ record: BackupRecord, local: URL) async -> String? {
        guard let folder = store as? LocalDirectoryStore, let key = record.objectKey, let expected = record.sha256 else { return nil }
        let found: ObjectInfo?
        do { found = try folder.readBack(key) } catch { return "the store's copy \(key) could not be read back: \(error)" }
        if found?.sha256 == expected { return nil }
        let what = found == nil ? "was missing" : "was damaged (SHA-256 \(found?.sha256 ?? "?"), recorded \(expected))"
        do {
            _ = try await folder.put(key, file: local, contentType: "application/octet-stream", sha256: expected)
            guard try folder.readBack(key)?.sha256 == expected else { throw ObjectStorageError.checksumMismatch(key: key, expected: expected, actual: nil) }
            logger.warning("the store's copy of a dump \(what): replaced it with the intact local copy", metadata: [
                "backup_id": "\(record.id)", "object": "\(key)",
            ])
            return "the store's copy \(key) \(what); replaced it with the local copy, which matches"
        } catch {
            logger.error("the store's copy of a dump \(what) and could not be replaced", metadata: [
                "backup_id": "\(record.id)", "object": "\(key)", "error": "\(error)",
            ])
            return "the store's copy \(key) \(what) and could not be replaced (\(error)): only the local copy is intact"
        }
    }
}
