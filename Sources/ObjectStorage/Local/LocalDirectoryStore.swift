import Crypto
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A folder with the bucket's layout: `key` is a path under `root`. For local-only mode (no
/// `BACKUP_S3_*`: everything stays on this machine) or a mounted disk elsewhere. A file put is
/// always copied, never hard-linked: a second copy that shares the first's blocks is no copy,
/// as damage in place (a truncation, a flipped byte) would reach both. SHA-256s are kept beside
/// each object (`.name.sha256`), as S3 keeps them in metadata.
public struct LocalDirectoryStore: ObjectStore {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public var description: String { "local folder \(root.path)" }

    func url(_ key: String) throws -> URL {
        // Keys come from this program, but a folder store must never write outside its root.
        guard !key.isEmpty, !key.hasPrefix("/"), !key.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw ObjectStorageError.file("object key '\(key)' is not a plain relative path")
        }
        return root.appendingPathComponent(key)
    }

    private func checksumFile(_ file: URL) -> URL {
        file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).sha256")
    }

    public func put(_ key: String, file: URL, contentType: String, sha256: String?) async throws -> ObjectInfo {
        let target = try url(key)
        let digest = try sha256 ?? PartReader.sha256(of: file)
        try makeFolder(for: target)
        let staging = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).put-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do { try FileManager.default.copyItem(at: file, to: staging) } catch {
            unlink(staging.path)
            throw ObjectStorageError.file("cannot copy \(file.path) to \(target.path): \(error.localizedDescription)")
        }
        try writeChecksum(digest, for: target)
        try moveIntoPlace(staging, target)
        let size = (try? FileManager.default.attributesOfItem(atPath: target.path)[.size] as? NSNumber)?.int64Value ?? 0
        return ObjectInfo(key: key, size: size, lastModified: Date(), sha256: digest)
    }

    public func put(_ key: String, data: Data, contentType: String) async throws -> ObjectInfo {
        let target = try url(key)
        try makeFolder(for: target)
        let digest = SHA256.hash(data: data).hex
        let writer = try FileWriter(replacing: target)
        do {
            try writer.write(ByteBuffer(bytes: data))
            try writeChecksum(digest, for: target)
            _ = try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        return ObjectInfo(key: key, size: Int64(data.count), lastModified: Date(), sha256: digest)
    }

    public func get(_ key: String, to file: URL) async throws -> ObjectInfo {
        let source = try url(key)
        guard FileManager.default.fileExists(atPath: source.path) else { throw ObjectStorageError.notFound(key: key) }
        let reader = try PartReader(file: source, partSize: 4 * 1024 * 1024)
        defer { reader.close() }
        let writer = try FileWriter(replacing: file)
        do {
            while let part = try reader.next() { try writer.write(part.bytes) }
            let (size, digest) = try writer.finish()
            return ObjectInfo(key: key, size: size, sha256: digest)
        } catch {
            writer.discard()
            throw error
        }
    }

    public func get(_ key: String) async throws -> Data {
        let source = try url(key)
        guard let data = FileManager.default.contents(atPath: source.path) else { throw ObjectStorageError.notFound(key: key) }
        return data
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let file = try url(key)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path) else { return nil }
        let recorded = (try? String(contentsOf: checksumFile(file), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return ObjectInfo(key: key, size: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
                          lastModified: attributes[.modificationDate] as? Date, sha256: recorded)
    }

    /// The object as it is on disk now: its SHA-256 computed from the file's bytes (``head(_:)``
    /// reports the one recorded beside it at put, which a flipped byte in the file does not
    /// change). Reads the whole file; nil when there is none.
    public func readBack(_ key: String) throws -> ObjectInfo? {
        let file = try url(key)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let digest = try PartReader.sha256(of: file)
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
        return ObjectInfo(key: key, size: size, sha256: digest)
    }

    public func list(prefix: String) async throws -> [ObjectInfo] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var objects: [ObjectInfo] = []
        let rootPath = root.standardizedFileURL.path + "/"
        for case let file as URL in walker {
            guard !file.lastPathComponent.hasPrefix("."),
                  (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = file.standardizedFileURL.path
            guard path.hasPrefix(rootPath) else { continue }
            let key = String(path.dropFirst(rootPath.count))
            guard key.hasPrefix(prefix), let info = try await head(key) else { continue }
            objects.append(info)
        }
        return objects.sorted { $0.key < $1.key }
    }

    public func delete(_ keys: [String]) async throws {
        for key in keys {
            let file = try url(key)
            unlink(file.path)
            unlink(checksumFile(file).path)
        }
    }

    /// A folder has no multipart uploads; leftovers of an interrupted put are hidden files,
    /// which this removes.
    public func incompleteUploads(prefix: String) async throws -> [String] {
        try leftovers(prefix: prefix).map(\.path)
    }

    @discardableResult
    public func abortIncompleteUploads(prefix: String) async throws -> Int {
        let files = try leftovers(prefix: prefix)
        for file in files { unlink(file.path) }
        return files.count
    }

    private func leftovers(prefix: String) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var files: [URL] = []
        for case let file as URL in walker {
            let name = file.lastPathComponent
            guard name.hasPrefix("."), name.contains(".put-") || name.contains(".download-") else { continue }
            let key = String(file.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            if key.hasPrefix(prefix) || prefix.isEmpty || file.deletingLastPathComponent().path.hasPrefix(root.appendingPathComponent(prefix).path) {
                files.append(file)
            }
        }
        return files
    }

    private func makeFolder(for file: URL) throws {
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw ObjectStorageError.file("cannot create folder \(file.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
    }

    private func writeChecksum(_ digest: String, for target: URL) throws {
        do { try Data((digest + "\n").utf8).write(to: checksumFile(target), options: .atomic) } catch {
            throw ObjectStorageError.file("cannot write \(checksumFile(target).path): \(error.localizedDescription)")
        }
    }

    private func moveIntoPlace(_ staging: URL, _ target: URL) throws {
        // A copy is only a copy once it is on disk: sync it before it takes the object's name.
        let descriptor = open(staging.path, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 { fsync(descriptor); close(descriptor) }
        guard rename(staging.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staging.path)
            throw ObjectStorageError.file("cannot move \(target.lastPathComponent) into place in \(target.deletingLastPathComponent().path): \(reason)")
        }
    }
}
