import Foundation
import ObjectStorage
#if canImport(Glibc)
import Glibc
#endif

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
    /// unchanged, then checks what the bucket recorded. A version's file is uploaded only when it
    /// is the file its manifest entry describes (size and SHA-256): a damaged local file never
    /// replaces the bucket's copy. When the bucket holds the version intact, the damaged local
    /// file is restored from it; when neither copy is intact, this throws
    /// ``BackupError/damaged(_:problems:)``. A version's key that already holds another file is
    /// never written over (break-office2 21: a worker on another machine, with its own
    /// BACKUP_DIR, numbers its versions from its own folder and would replace this one's
    /// version 1): ``BackupError/bucketHoldsAnother(_:keys:)``, and the manifest is not uploaded.
    public func upload(_ location: BackupLocation, manifest: BackupManifest) async throws {
        var damaged: [String] = [], taken: [String] = []
        for version in manifest.versions {
            let file = location.file(version.file)
            let key = key(location, file)
            let local = try? FileDigest.sha256(of: file)
            let existing = try await store.head(key)
            if let local, local.0 == Int64(version.sizeBytes), local.1 == version.sha256 {
                if let existing {
                    if existing.sha256 != local.1 || existing.size != local.0 { taken.append(key) }
                    continue
                }
                try await put(file, key: key, size: local.0, sha256: local.1, type: "text/csv; charset=utf-8")
            } else if let existing, existing.sha256 == version.sha256, existing.size == Int64(version.sizeBytes) {
                try await restore(file, from: key, version: version, month: location.month)
            } else {
                damaged.append("\(file.lastPathComponent) is \(local == nil ? "missing" : "not the file its manifest describes (size or SHA-256 differ)"), and \(key) in the bucket is \(existing == nil ? "missing" : "not it either")")
            }
        }
        if !damaged.isEmpty { throw BackupError.damaged(location.month, problems: damaged) }
        if !taken.isEmpty { throw BackupError.bucketHoldsAnother(location.month, keys: taken) }
        let (size, sha256) = try FileDigest.sha256(of: location.manifest)
        let key = key(location, location.manifest)
        if let existing = try await store.head(key), existing.sha256 == sha256, existing.size == size { return }
        try await put(location.manifest, key: key, size: size, sha256: sha256, type: "application/json")
    }

    private func put(_ file: URL, key: String, size: Int64, sha256: String, type: String) async throws {
        _ = try await store.put(key, file: file, contentType: type, sha256: sha256)
        guard let stored = try await store.head(key), stored.sha256 == sha256, stored.size == size else {
            throw ObjectStorageError.checksumMismatch(key: key, expected: sha256, actual: try? await store.head(key)?.sha256)
        }
    }

    /// Fetches the bucket's intact copy of a version over a damaged local file (through a
    /// temporary file, checked before it replaces anything).
    private func restore(_ file: URL, from key: String, version: BackupVersion, month: StudioMonth) async throws {
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).restore-\(getpid())")
        defer { try? FileManager.default.removeItem(at: temporary) }
        _ = try await store.get(key, to: temporary)
        let (size, sha256) = try FileDigest.sha256(of: temporary)
        guard size == Int64(version.sizeBytes), sha256 == version.sha256 else {
            throw BackupError.damaged(month, problems: ["\(key) in the bucket is not the version its manifest describes either"])
        }
        if rename(temporary.path, file.path) != 0 { throw BackupError.io("could not restore \(file.path) from \(key): \(String(cString: strerror(errno)))") }
    }

    /// What is wrong with the copy, if anything: missing, or not the local file's bytes.
    public func problems(_ location: BackupLocation, manifest: BackupManifest) async -> [String] {
        var problems: [String] = []
        for file in location.files(of: manifest) {
            let key = key(location, file)
            do {
                // A folder (local-only mode) is read back: its sidecar checksum is what was put,
                // not what is on the disk now (break-office2 2). A bucket checked the upload.
                let found: ObjectInfo?
                if let folder = store as? LocalDirectoryStore { found = try folder.readBack(key) } else { found = try await store.head(key) }
                guard let stored = found else {
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
