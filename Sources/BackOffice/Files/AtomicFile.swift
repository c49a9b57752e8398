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
    /// With encryption, writing and hashing run on two threads of their own, beside the
    /// encrypting caller: three streams of work for the machine's cores instead of one. The
    /// encrypted blocks they share come from a small pool and go back to it when both are done.
    private var writerThread: StoreThread?
    private var hasherThread: StoreThread?
    private var blocks: BlockPool?
    private(set) var size = 0

    /// False skips the fsyncs (benchmarks only: a backup is always synced).
    private let durable: Bool

    init(destination: URL, encryptingTo recipients: [AgeRecipient] = [], temporaryName: String? = nil, durable: Bool = true) throws {
        self.durable = durable
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
        if encryptor != nil {
            let pool = BlockPool(count: 8, capacity: Self.blockSize + Self.blockSize / 4096 + 4096)
            blocks = pool
            writerThread = StoreThread(name: "nightshift-backup-writer", pool: pool) { [unowned self] block in try self.writeAll(block.bytes) }
            hasherThread = StoreThread(name: "nightshift-backup-hasher", pool: pool) { [unowned self] block in self.hash(block.bytes) }
        }
    }

    /// How much is gathered before it is encrypted and handed on, or written.
    private static let blockSize = 1 << 20

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.blockSize { try flush() }
    }

    func write(_ raw: UnsafeRawBufferPointer) throws {
        var raw = raw[...]
        // Whole blocks are encrypted from where they are, not copied first.
        while encryptor != nil && buffer.isEmpty && raw.count >= Self.blockSize {
            try seal(UnsafeRawBufferPointer(rebasing: raw.prefix(Self.blockSize)))
            raw = raw.dropFirst(Self.blockSize)
        }
        buffer.append(contentsOf: raw)
        if buffer.count >= Self.blockSize { try flush() }
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.blockSize { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        if encryptor != nil {
            try buffer.withUnsafeBytes { try seal($0) }
        } else {
            try writeAll(buffer)
            hash(buffer)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Encrypts into a block of the pool and hands it to both threads.
    private func seal(_ plaintext: UnsafeRawBufferPointer) throws {
        guard let blocks else { return }
        let block = blocks.take()
        do { try encryptor!.update(plaintext, into: &block.bytes) } catch {
            blocks.giveBack(block, readers: 1)
            throw error
        }
        try submit(block)
    }

    /// Hands a block to both threads; each gives it back to the pool when done with it.
    private func submit(_ block: PooledBlock) throws {
        blocks?.lend(block, to: 2)
        do { try writerThread?.submit(block) } catch {
            blocks?.giveBack(block, readers: 2)
            throw error
        }
        do { try hasherThread?.submit(block) } catch {
            blocks?.giveBack(block)
            throw error
        }
    }

    private func hash(_ bytes: [UInt8]) {
        hasher.update(data: bytes)
        size += bytes.count
    }

    private func writeAll(_ bytes: [UInt8]) throws {
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
    }

    /// Flushes, fsyncs, renames into place and fsyncs the folder. Returns the SHA-256 (hex).
    func commit() throws -> String {
        try flush()
        if encryptor != nil, let blocks {
            let block = blocks.take()
            try encryptor!.finish(into: &block.bytes)
            encryptor = nil
            try submit(block)
            try stopThreads()
        }
        guard !durable || fsync(descriptor) == 0 else {
            throw BackupError.io("cannot sync \(destination.path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporary.path, destination.path) == 0 else {
            throw BackupError.io("cannot move the backup into place at \(destination.path): \(String(cString: strerror(errno)))")
        }
        let folder = open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { if durable { fsync(folder) }; close(folder) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Removes the temporary file after a failure.
    func discard() {
        try? stopThreads()
        if descriptor >= 0 { close(descriptor); descriptor = -1 }
        unlink(temporary.path)
    }

    /// Waits for both threads to finish what they were given; the writer's failure, if any.
    private func stopThreads() throws {
        let (writer, hasher) = (writerThread, hasherThread)
        writerThread = nil
        hasherThread = nil
        try? hasher?.finish()
        try writer?.finish()
    }

    deinit {
        if descriptor >= 0 { discard() }
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
