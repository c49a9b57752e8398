import Crypto
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file in parts of a fixed size, in order, straight into `ByteBuffer`s, hashing the
/// whole as it goes, so an upload reads it once and holds one part per request in memory.
final class PartReader: @unchecked Sendable {
    let size: Int64
    let partSize: Int
    private let descriptor: Int32
    private var hasher = SHA256()
    private var number = 0
    private let path: String
    private let allocator = ByteBufferAllocator()

    init(file: URL, partSize: Int) throws {
        path = file.path
        descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ObjectStorageError.file("cannot read \(file.path): \(String(cString: strerror(errno)))")
        }
        self.partSize = partSize
        var status = stat()
        size = fstat(descriptor, &status) == 0 ? Int64(status.st_size) : 0
    }

    /// The next part (1-based number and bytes), or nil at the end. A part is `partSize` bytes
    /// but for the last; an empty file is one empty part.
    func next() throws -> (number: Int, bytes: ByteBuffer)? {
        var buffer = allocator.buffer(capacity: partSize)
        while buffer.readableBytes < partSize {
            let missing = partSize - buffer.readableBytes
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: missing) { raw in
                let wanted = min(raw.count, missing)
                while true {
                    let got = read(descriptor, raw.baseAddress, wanted)
                    if got >= 0 { return got }
                    if errno != EINTR { throw ObjectStorageError.file("cannot read \(path): \(String(cString: strerror(errno)))") }
                }
            }
            if count == 0 { break }
        }
        guard buffer.readableBytes > 0 || number == 0 else { return nil }
        number += 1
        buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return (number, buffer)
    }

    /// The SHA-256 of everything read so far (the whole file, once `next()` returned nil).
    var sha256: String { hasher.finalize().hex }

    func close() { Glibc.close(descriptor) }

    /// A whole file's SHA-256, read in 4 MiB pieces.
    static func sha256(of file: URL) throws -> String {
        let reader = try PartReader(file: file, partSize: 4 * 1024 * 1024)
        defer { reader.close() }
        while try reader.next() != nil {}
        return reader.sha256
    }
}

extension ByteBuffer {
    /// SHA-256 of the readable bytes.
    var sha256: SHA256.Digest { withUnsafeReadableBytes { SHA256.hash(data: $0) } }
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
        while let part = try reader.next() { size += Int64(part.bytes.readableBytes) }
        return (size, reader.sha256)
    }
}
