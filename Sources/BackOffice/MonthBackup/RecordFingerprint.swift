import Crypto
import Foundation

/// A fingerprint of a set of records — each record's type, id and amount in cents
/// (`type\tid\tcents`) hashed with SHA-256, the hashes combined by XOR — so two sets holding the
/// same records with the same amounts have the same fingerprint, whatever order they were
/// written in, in flat memory (a month of two million records is one 32-byte value). Written
/// into the manifest for every version, so what a version holds can be matched where its
/// contents cannot be read (encrypted, no identity here): a writer does not write the same late
/// records again (break-close 9), and a close compares the records it moves with the backup's
/// (break-office2 5). (A `(type, id)` is in a set at most once, so XOR cancels nothing.)
struct RecordFingerprint {
    private var bytes = [UInt8](repeating: 0, count: 32)

    /// A CSV row of the backup as COPY writes it (`type,id,data,valor,…`): the first four
    /// fields never need quoting.
    mutating func add(csvRow row: UnsafeRawBufferPointer) {
        var fields: [String] = []
        var start = row.startIndex
        for index in row.indices where row[index] == UInt8(ascii: ",") {
            fields.append(String(decoding: UnsafeRawBufferPointer(rebasing: row[start..<index]), as: UTF8.self))
            start = index + 1
            if fields.count == 4 { break }
        }
        guard fields.count == 4, let id = Int64(fields[1]) else { return }
        add(type: fields[0], id: id, cents: BackupCSV.cents(fields[3]))
    }

    mutating func add(type: String, id: Int64, cents: Int64) {
        let digest = SHA256.hash(data: Data("\(type)\t\(id)\t\(cents)".utf8))
        for (index, byte) in digest.enumerated() { bytes[index] ^= byte }
    }

    var value: String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Of records as amounts in cents by id by type.
    static func of(_ amounts: [String: [Int64: Int64]]) -> String {
        var fingerprint = RecordFingerprint()
        for (type, rows) in amounts { for (id, cents) in rows { fingerprint.add(type: type, id: id, cents: cents) } }
        return fingerprint.value
    }
}
