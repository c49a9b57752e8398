import Crypto
import Foundation

/// SHA-256 over a set of records — type, id and amount in cents, one `type\tid\tcents` line
/// each, sorted — so two versions of a closed month's backup holding the same records with the
/// same amounts have the same fingerprint, whatever order they were written in, and one that
/// cannot be read here (encrypted, no identity) can still be matched (break-close 9).
struct RecordFingerprint {
    private var lines: [String] = []

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

    mutating func add(type: String, id: Int64, cents: Int64) { lines.append("\(type)\t\(id)\t\(cents)") }

    var value: String { Self.digest(lines) }

    /// Of records as amounts in cents by id by type.
    static func of(_ amounts: [String: [Int64: Int64]]) -> String {
        digest(amounts.flatMap { type, rows in rows.map { "\(type)\t\($0.key)\t\($0.value)" } })
    }

    private static func digest(_ lines: [String]) -> String {
        var hasher = SHA256()
        for line in lines.sorted() { hasher.update(data: Data((line + "\n").utf8)) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
