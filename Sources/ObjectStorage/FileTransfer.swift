import Crypto
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file in parts of a fixed size, in order, hashing the whole as it goes, so an upload
/// reads it once and holds one part per request in memory.
final class PartReader: @unchecked Sendable {
    let size: Int64
    let partSize: Int
    private let handle: FileHandle
    private var hasher = SHA256()
    private var number = 0
    private let path: String

    init(file: URL, partSize: Int) throws {
        path = file.path
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw ObjectStorageError.file("cannot read \(file.path): \(String(cString: strerror(errno)))")
        }
        self.handle = handle
        self.partSize = partSize
        let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
        size = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// The next part (1-based number, bytes, its SHA-256), or nil at the end.
    func next() throws -> (number: Int, data: Data, sha256: SHA256.Digest)? {
        let data: Data
        do { data = try handle.read(upToCount: partSize) ?? Data() } catch {
            throw ObjectStorageError.file("cannot read \(path): \(error)")
        }
        guard !data.isEmpty || number == 0 else { return nil }
        number += 1
        hasher.update(data: data)
        return (number, data, SHA256.hash(data: data))
    }

    /// The SHA-256 of everything read so far (the whole file, once `next()` returned nil).
    var sha256: String { hasher.finalize().hex }

    func close() { try? handle.close() }

    /// A whole file's SHA-256, read in 4 MiB pieces.
    static func sha256(of file: URL) throws -> String {
        let reader = try PartReader(file: file, partSize: 4 * 1024 * 1024)
        defer { reader.close() }
        while try reader.next() != nil {}
        return reader.sha256
    }
}

/// Writes a download under a temporary name beside its destination, hashing as it goes, and
/// moves it into place when complete; a failed download leaves nothing behind.
final class FileWriter: @unchecked Sendable {
    let destination: URL
    private let temporary: URL
    private let descriptor: Int32
    private var hasher = SHA256()
    private var size: Int64 = 0

    init(replacing destination: URL) throws {
        self.destination = destination
        let folder = destination.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).download-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ObjectStorageError.file("cannot create \(temporary.path): \(String(cString: strerror(errno)))")
        }
    }

    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ObjectStorageError.file("cannot write \(destination.path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
            hasher.update(bufferPointer: raw)
        }
        size += Int64(buffer.readableBytes)
    }

    /// Syncs and moves the file into place; returns its size and SHA-256.
    func finish() throws -> (Int64, String) {
        guard fsync(descriptor) == 0 else { throw ObjectStorageError.file("cannot sync \(destination.path): \(String(cString: strerror(errno)))") }
        close(descriptor)
        guard rename(temporary.path, destination.path) == 0 else {
            throw ObjectStorageError.file("cannot move the download into place at \(destination.path): \(String(cString: strerror(errno)))")
        }
        return (size, hasher.finalize().hex)
    }

    func discard() {
        close(descriptor)
        unlink(temporary.path)
    }
}

/// A file's size and SHA-256 in one read, never holding it whole: what backups record and
/// verify.
public enum FileDigest {
    public static func sha256(of file: URL) throws -> (size: Int64, sha256: String) {
        let reader = try PartReader(file: file, partSize: 4 * 1024 * 1024)
        defer { reader.close() }
        var size: Int64 = 0
        while let part = try reader.next() { size += Int64(part.data.count) }
        return (size, reader.sha256)
    }
}
