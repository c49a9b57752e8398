import Age
import ArgumentParser
import BackOffice
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct BackupDecryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt an encrypted backup (.csv.age or .dump.age) with an age identity.",
        discussion: """
            The identity comes from --identity-file, else BACKUP_AGE_IDENTITY_FILE. The output is \
            written under a temporary name and renamed into place, so a file that fails to \
            decrypt (another key, a flipped byte, a truncated file) leaves nothing behind. The \
            standard `age --decrypt -i KEYFILE FILE` opens the same files.
            """)
    @Argument(help: "The encrypted file.") var file: String
    @Option(name: [.short, .long], help: "Where to write the plaintext (default: FILE without .age).") var output: String?
    @Option(name: .customLong("identity-file"), help: "The identity file (AGE-SECRET-KEY-1… lines).") var identityFile: String?

    func validate() throws {
        if output == nil && !file.hasSuffix(BackupEncryption.suffix) {
            throw ValidationError("FILE does not end in .age: give --output for the plaintext")
        }
    }

    func run() async throws {
        let identities: [AgeIdentity]
        if let identityFile {
            identities = try BackupEncryption.parse(recipients: nil, identityFile: identityFile).identities
        } else {
            identities = try Launch.settings().backOffice.encryption.identities
        }
        guard !identities.isEmpty else {
            throw CommandFailure("no identity: give --identity-file or set BACKUP_AGE_IDENTITY_FILE to the file with the AGE-SECRET-KEY-1… line")
        }
        let destination = output ?? String(file.dropLast(BackupEncryption.suffix.count))
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw CommandFailure("\(destination) exists: remove it or give another --output")
        }
        let size = try EncryptedFile.decrypt(URL(fileURLWithPath: file), to: URL(fileURLWithPath: destination), identities: identities)
        print("decrypted \(file) to \(destination) (\(size) bytes)")
    }
}

struct BackupKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new age identity file (mode 0600) and print its public key.",
        discussion: """
            Put the printed public key (age1…) in BACKUP_AGE_RECIPIENTS on the machines that make \
            backups; keep the identity file away from them (it is what reads backups back), and \
            keep a copy somewhere safe: without it no encrypted backup can be restored. The file \
            is the one age-keygen writes, so `age -d -i FILE` works with it.
            """)
    @Option(name: [.short, .long], help: "Where to write the identity file.") var output: String

    func run() async throws {
        let identity = AgeIdentity()
        let text = identity.identityFile()
        let descriptor = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CommandFailure(errno == EEXIST ? "\(output) exists: keygen never overwrites an identity; give another --output"
                                                 : "cannot create \(output): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0 else {
            unlink(output)
            throw CommandFailure("cannot write \(output)")
        }
        FileHandle.standardError.write(Data("identity written to \(output) (0600); its public key, for BACKUP_AGE_RECIPIENTS:\n".utf8))
        print(identity.recipient)
    }
}
