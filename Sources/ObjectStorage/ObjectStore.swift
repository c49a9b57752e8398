import Foundation

/// Where backups and metrics go off the machine: an S3-compatible bucket (``S3Store``) or a
/// folder (``LocalDirectoryStore``), behind one interface. Keys are `/`-separated paths such as
/// `branch-andheri/backups/branch-andheri_20260217_220005.dump`.
public protocol ObjectStore: Sendable, CustomStringConvertible {
    /// Stores a file under `key`, as one request or in parts for a large file, and returns what
    /// was stored, with the SHA-256 of the bytes sent (recorded with the object). Pass `sha256`
    /// when the caller has hashed the file already; the upload checks the bytes it sent against
    /// it. The file is never held whole in memory.
    func put(_ key: String, file: URL, contentType: String, sha256: String?) async throws -> ObjectInfo
    /// Stores a small body (a metrics JSON, a manifest).
    func put(_ key: String, data: Data, contentType: String) async throws -> ObjectInfo
    /// Writes the object to `file` (replacing it), streaming; returns its size and SHA-256.
    func get(_ key: String, to file: URL) async throws -> ObjectInfo
    /// A small object's bytes.
    func get(_ key: String) async throws -> Data
    /// The object's size, time and recorded SHA-256, or nil when there is none.
    func head(_ key: String) async throws -> ObjectInfo?
    /// Every object whose key starts with `prefix`, in key order, across all pages.
    func list(prefix: String) async throws -> [ObjectInfo]
    /// Deletes objects; keys that are not there are not an error.
    func delete(_ keys: [String]) async throws
    /// Keys of uploads begun under `prefix` and never completed or aborted (S3 multipart).
    func incompleteUploads(prefix: String) async throws -> [String]
    /// Aborts every incomplete upload under `prefix`; returns how many.
    @discardableResult
    func abortIncompleteUploads(prefix: String) async throws -> Int
}

/// One stored object.
public struct ObjectInfo: Sendable, Codable, Equatable {
    public var key: String
    public var size: Int64
    public var lastModified: Date?
    /// Hex SHA-256 of the content, when known (recorded at upload, or computed on download).
    public var sha256: String?

    public init(key: String, size: Int64, lastModified: Date? = nil, sha256: String? = nil) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.sha256 = sha256
    }
}
