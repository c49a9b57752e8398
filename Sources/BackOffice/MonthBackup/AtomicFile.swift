import Age
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file written under a temporary name in its final folder, fsynced, then renamed into
/// place, so a reader never sees it half-written and a crash leaves only a `.tmp-` file.
/// Owner-only permissions. Counts bytes and hashes them as they are written. With
/// recipients, what is written is encrypted on the way (age), and the count and hash are of
/// the encrypted bytes: what is stored.
///
/// Not thread-safe: one writer at a time (the COPY thread, then the caller after it ends).
final class AtomicFile: @unchecked Sendable {
    let destination: URL
    let temporary: URL
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var hasher = SHA256()
    private var encryptor: AgeEncryptor?
    private var sealed: [UInt8] = []
    private(set) var size = 0

    init(destination: URL, encryptingTo recipients: [AgeRecipient] = [], temporaryName: String? = nil) throws {
        if !recipients.isEmpty { encryptor = try AgeEncryptor(recipients: recipients) }
        self.destination = destination
        let folder = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw BackupError.io("cannot create folder \(folder.path): \(Self.reason(error)); check that BACKUP_DIR is writable")
        }
        temporary = folder.appendingPathComponent(temporaryName ?? ".\(destination.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BackupError.io("cannot create \(temporary.path): \(String(cString: strerror(errno))); check that BACKUP_DIR is writable")
        }
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(_ raw: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: raw)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        if encryptor != nil {
            sealed.removeAll(keepingCapacity: true)
            try encryptor!.update(buffer, into: &sealed)
            try store(sealed)
        } else {
            try store(buffer)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private func store(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    throw BackupError.io(code == ENOSPC
                        ? "disk full while writing \(destination.path): free space, then create the backup again"
                        : "cannot write \(destination.path): \(String(cString: strerror(code)))")
                }
                offset += written
            }
        }
        hasher.update(data: bytes)
        size += bytes.count
    }

    /// Flushes, fsyncs, renames into place and fsyncs the folder. Returns the SHA-256 (hex).
    func commit() throws -> String {
        try flush()
        if encryptor != nil {
            sealed.removeAll(keepingCapacity: true)
            try encryptor!.finish(into: &sealed)
            encryptor = nil
            try store(sealed)
        }
        guard fsync(descriptor) == 0 else {
            throw BackupError.io("cannot sync \(destination.path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporary.path, destination.path) == 0 else {
            throw BackupError.io("cannot move the backup into place at \(destination.path): \(String(cString: strerror(errno)))")
        }
        let folder = open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { fsync(folder); close(folder) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Removes the temporary file after a failure.
    func discard() {
        if descriptor >= 0 { close(descriptor); descriptor = -1 }
        unlink(temporary.path)
    }

    deinit {
        if descriptor >= 0 { discard() }
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
