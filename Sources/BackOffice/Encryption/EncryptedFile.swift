import Age
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file operations on age files: decrypt one to a new file, or check what can be
/// checked of one without its identity.
public enum EncryptedFile {
    /// Encrypts `input` into `output` to `recipients`, as a backup is written (temporary name,
    /// fsync, rename; 1 MiB at a time). Returns the stored size and its SHA-256.
    @discardableResult
    public static func encrypt(_ input: URL, to output: URL, recipients: [AgeRecipient], durable: Bool = true) throws -> (size: Int, sha256: String) {
        let descriptor = open(input.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BackupError.io("cannot read \(input.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let file = try AtomicFile(destination: output, encryptingTo: recipients, durable: durable)
        // One buffer, read into again and again (a fresh one per read costs a page fault per 4 KiB).
        var block = [UInt8](repeating: 0, count: 1 << 20)
        do {
            while true {
                let count = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw BackupError.io("cannot read \(input.path): \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                try block.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
            let sha256 = try file.commit()
            return (file.size, sha256)
        } catch {
            file.discard()
            throw error
        }
    }

    /// Decrypts `input` into `output` (owner-only, written under a temporary name and renamed
    /// into place), 1 MiB at a time. On any failure nothing is left at `output`: no partial
    /// plaintext. Returns the plaintext's size.
    @discardableResult
    public static func decrypt(_ input: URL, to output: URL, identities: [AgeIdentity]) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: input.path) else {
            throw BackupEncryptionError.cannotDecrypt(file: input.path, reason: "it cannot be read")
        }
        defer { try? handle.close() }
        let file = try AtomicFile(destination: output)
        var decryptor = AgeDecryptor(identities: identities)
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(2 << 20)
        do {
            while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
                plaintext.removeAll(keepingCapacity: true)
                try block.withUnsafeBytes { try decryptor.update($0, into: &plaintext) }
                try file.write(plaintext)
            }
            plaintext.removeAll(keepingCapacity: true)
            try decryptor.finish(into: &plaintext)
            try file.write(plaintext)
            _ = try file.commit()
            return file.size
        } catch let error as AgeError {
            file.discard()
            throw BackupEncryptionError.cannotDecrypt(file: input.path, reason: "\(error)")
        } catch {
            file.discard()
            throw error
        }
    }

    /// What can be checked without an identity: the file starts with a valid age v1 header
    /// with at least one X25519 recipient stanza. Returns how many there are.
    public static func checkHeader(_ input: URL) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: input.path) else {
            throw BackupEncryptionError.cannotDecrypt(file: input.path, reason: "it cannot be read")
        }
        defer { try? handle.close() }
        let prefix = Array(try handle.read(upToCount: 1 << 16) ?? Data())
        do {
            guard let header = try AgeHeader.read(prefix: prefix) else { throw AgeError.truncated("it ends inside the header") }
            let recipients = header.stanzaTypes["X25519"] ?? 0
            guard recipients > 0 else { throw AgeError.badHeader("it has no X25519 recipient stanza") }
            return recipients
        } catch let error as AgeError {
            throw BackupEncryptionError.cannotDecrypt(file: input.path, reason: "\(error)")
        }
    }
}
