import Age
import Crypto
import Foundation

/// One pass over a backup file: its size and SHA-256 as stored, and — when it is plain, or
/// encrypted and an identity opens it — its CSV header, records per type and, when asked, the
/// ids it holds per type.
struct BackupFileScan {
    var sizeBytes = 0
    var sha256 = ""
    var counter: CSVRecordCounter
    var decryptionError: AgeError?
    /// False for an encrypted file read without an identity.
    var contentsRead = true
    /// The first 64 KiB of an encrypted file read without an identity (its age header).
    var headerPrefix: [UInt8] = []

    /// Nil when the file cannot be opened.
    static func read(_ url: URL, encrypted: Bool, encryption: BackupEncryption, collectIDs: Bool) throws -> BackupFileScan? {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return nil }
        defer { try? handle.close() }
        var scan = BackupFileScan(counter: CSVRecordCounter(collectingIDs: collectIDs))
        var decryptor = encrypted && encryption.canDecrypt ? AgeDecryptor(identities: encryption.identities) : nil
        scan.contentsRead = !encrypted || decryptor != nil
        var plaintext: [UInt8] = []
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            scan.sizeBytes += chunk.count
            if !encrypted {
                scan.counter.feed(chunk)
            } else if decryptor != nil, scan.decryptionError == nil {
                plaintext.removeAll(keepingCapacity: true)
                do { try decryptor!.update(Array(chunk), into: &plaintext) } catch { scan.decryptionError = error }
                scan.counter.feed(plaintext)
            } else if scan.headerPrefix.count < 1 << 16 {
                scan.headerPrefix += chunk.prefix(1 << 16)
            }
        }
        if decryptor != nil, scan.decryptionError == nil {
            plaintext.removeAll(keepingCapacity: true)
            do { try decryptor!.finish(into: &plaintext) } catch { scan.decryptionError = error }
            scan.counter.feed(plaintext)
        }
        scan.counter.finish()
        scan.sha256 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return scan
    }

    /// The file is the one the manifest describes (size and SHA-256) and only decryption failed:
    /// a wrong identity here, not a damaged or lost backup.
    func onlyUndecryptable(against version: BackupVersion) -> Bool {
        decryptionError != nil && sizeBytes == version.sizeBytes && sha256 == version.sha256
    }

    /// What differs from the version the manifest describes (empty: it is that file, intact).
    func problems(against version: BackupVersion) -> [String] {
        var problems: [String] = []
        if sizeBytes != version.sizeBytes { problems.append("size is \(sizeBytes) bytes, the manifest says \(version.sizeBytes) (truncated?)") }
        if sha256 != version.sha256 { problems.append("checksum does not match the manifest (the file changed or is corrupt)") }
        if let decryptionError { problems.append("it cannot be decrypted: \(decryptionError)") }
        if contentsRead && decryptionError == nil {
            if counter.header != BackupCSV.columns { problems.append("header is not the backup's columns") }
            if counter.records != version.totalRecords {
                problems.append("\(counter.records) records in the file, the manifest says \(version.totalRecords)")
            }
        }
        return problems
    }
}
