import Foundation
import ObjectStorage

/// The copy of a month's backup in the bucket (seed 002: "back up the backup files
/// themselves"): its CSV and manifest at `{branch}/monthly/YYYY_MM/`, checked by SHA-256
/// after upload and by `nightshift backup verify`.
public struct OffsiteCopy: Sendable {
    public let store: any ObjectStore
    public let branch: String

    public init(store: any ObjectStore, branch: String) {
        self.store = store
        self.branch = branch
    }

    public func key(_ location: BackupLocation, _ file: URL) -> String {
        "\(branch)/monthly/\(location.month.folderName)/\(file.lastPathComponent)"
    }

    /// Uploads every version's file and the manifest, each unless the bucket already holds it
    /// unchanged, then checks what the bucket recorded. An earlier version is never replaced in
    /// the bucket either: it has a name of its own.
    public func upload(_ location: BackupLocation, manifest: BackupManifest) async throws {
        for file in location.files(of: manifest) {
            let (size, sha256) = try FileDigest.sha256(of: file)
            let key = key(location, file)
            if let existing = try await store.head(key), existing.sha256 == sha256, existing.size == size { continue }
            let type = file == location.manifest ? "application/json" : "text/csv; charset=utf-8"
            _ = try await store.put(key, file: file, contentType: type, sha256: sha256)
            guard let stored = try await store.head(key), stored.sha256 == sha256, stored.size == size else {
                throw ObjectStorageError.checksumMismatch(key: key, expected: sha256, actual: try? await store.head(key)?.sha256)
            }
        }
    }

    /// What is wrong with the copy, if anything: missing, or not the local file's bytes.
    public func problems(_ location: BackupLocation, manifest: BackupManifest) async -> [String] {
        var problems: [String] = []
        for file in location.files(of: manifest) {
            let key = key(location, file)
            do {
                guard let stored = try await store.head(key) else {
                    problems.append("the off-site copy \(key) is missing from \(store)")
                    continue
                }
                if let (size, sha256) = try? FileDigest.sha256(of: file), stored.sha256 != sha256 || stored.size != size {
                    problems.append("the off-site copy \(key) differs from the local file (SHA-256 \(stored.sha256 ?? "not recorded"))")
                }
            } catch {
                problems.append("the off-site copy \(key) could not be checked: \(error)")
            }
        }
        return problems
    }
}
