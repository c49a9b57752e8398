import Crypto
import Foundation

/// One recipient stanza of an age header: `-> type args…` and a base64 body.
public struct AgeStanza: Sendable, Equatable {
    public var type: String
    public var arguments: [String]
    public var body: [UInt8]
}

/// The text header of an age v1 file (age-encryption.org/v1): the version line, the
/// stanzas, and `--- MAC`. Parsing is strict, as the spec asks: unknown versions,
/// non-canonical base64, long lines and stray characters are errors.
public struct AgeHeader: Sendable {
    public static let versionLine = "age-encryption.org/v1"
    /// Headers larger than this are refused (ours are a few hundred bytes).
    static let maximumSize = 1 << 20

    public var stanzas: [AgeStanza]
    var mac: [UInt8]
    /// The header's bytes through `---`, the MAC's input.
    var macInput: [UInt8]

    /// The header that wraps `fileKey` to `stanzas`, with its MAC, ready to write.
    static func encode(stanzas: [AgeStanza], fileKey: SymmetricKey) -> [UInt8] {
        var text = versionLine + "\n"
        for stanza in stanzas {
            text += "-> " + ([stanza.type] + stanza.arguments).joined(separator: " ") + "\n"
            let body = AgeBase64.encode(stanza.body)
            var index = body.startIndex
            repeat {
                let end = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
                text += body[index..<end] + "\n"
                if end == body.endIndex && body.distance(from: index, to: end) == 64 { text += "\n" }
                index = end
            } while index < body.endIndex
        }
        text += "---"
        var bytes = Array(text.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: AgeKeySchedule.headerKey(fileKey))
        bytes += Array(" \(AgeBase64.encode(Array(mac)))\n".utf8)
        return bytes
    }

    /// Parses the header at the start of `bytes`. Nil when `bytes` ends before the header
    /// does (read more); otherwise the header and how many bytes it took.
    static func parse(_ bytes: [UInt8]) throws(AgeError) -> (header: AgeHeader, length: Int)? {
        var lines = LineReader(bytes: bytes)
        guard let version = lines.next() else {
            if bytes.count >= versionLine.utf8.count + 1 || !versionLine.utf8.starts(with: bytes) {
                throw .badHeader("it does not start with `\(versionLine)` (not an age file, or an ASCII-armored one)")
            }
            return nil
        }
        guard Array(version) == Array(versionLine.utf8) else {
            throw .badHeader("it does not start with `\(versionLine)` (not an age file, or an ASCII-armored one)")
        }
        var stanzas: [AgeStanza] = []
        while true {
            guard let line = lines.next() else {
                if bytes.count > maximumSize { throw .badHeader("the header is longer than \(maximumSize) bytes") }
                return nil
            }
            if line.starts(with: Array("---".utf8)) {
                guard line.count > 4, line.dropFirst(3).first == 0x20, let mac = AgeBase64.decode(String(decoding: line.dropFirst(4), as: UTF8.self)), mac.count == 32 else {
                    throw .badHeader("the `---` line must hold the header's MAC in canonical base64")
                }
                let macInput = Array(bytes[..<(lines.offset - line.count - 1 + 3)])
                return (AgeHeader(stanzas: stanzas, mac: mac, macInput: macInput), lines.offset)
            }
            guard line.starts(with: Array("-> ".utf8)) else { throw .badHeader("unexpected line in the header (a stanza must start with `-> `)") }
            let fields = line.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false)
            guard !fields.isEmpty, fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= 33 && $0 <= 126 } }) else {
                throw .badHeader("a stanza has an empty argument or a character outside printable ASCII")
            }
            var body: [UInt8] = []
            while true {
                guard let bodyLine = lines.next() else {
                    if bytes.count > maximumSize { throw .badHeader("the header is longer than \(maximumSize) bytes") }
                    return nil
                }
                guard bodyLine.count <= 64, let decoded = AgeBase64.decode(String(decoding: bodyLine, as: UTF8.self)) else {
                    throw .badHeader("a stanza body line is not canonical unpadded base64 of at most 64 columns")
                }
                body += decoded
                if bodyLine.count < 64 { break }
            }
            let strings = fields.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(AgeStanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
        }
    }

    /// The header at the start of a file's first bytes, without opening it: what can be
    /// checked with no identity (version, stanzas). Nil when `prefix` ends inside the header.
    public static func read(prefix: [UInt8]) throws(AgeError) -> AgeHeader? {
        try parse(prefix)?.header
    }

    /// How many stanzas of each type the header holds (`X25519`: one per recipient).
    public var stanzaTypes: [String: Int] { stanzas.reduce(into: [:]) { $0[$1.type, default: 0] += 1 } }

    /// The file key, from the first X25519 stanza one of `identities` opens, with the MAC
    /// checked. Other stanza types are skipped, as age skips stanzas it has no identity for.
    func fileKey(identities: [AgeIdentity]) throws(AgeError) -> SymmetricKey {
        for stanza in stanzas where stanza.type == X25519Stanza.type {
            for identity in identities {
                if let key = try X25519Stanza.unwrap(stanza, with: identity) {
                    try verifyMAC(fileKey: key)
                    return key
                }
            }
        }
        throw .noMatchingIdentity
    }

    /// Throws ``AgeError/badHeaderMAC`` unless the MAC matches `fileKey`.
    func verifyMAC(fileKey: SymmetricKey) throws(AgeError) {
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: macInput, using: AgeKeySchedule.headerKey(fileKey)) else {
            throw .badHeaderMAC
        }
    }
}

/// Lines ended by LF, with the offset just past the last one read.
private struct LineReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func next() -> ArraySlice<UInt8>? {
        guard let end = bytes[offset...].firstIndex(of: 0x0A) else { return nil }
        defer { offset = end + 1 }
        return bytes[offset..<end]
    }
}

/// age's HKDF-SHA-256 derivations.
enum AgeKeySchedule {
    static func headerKey(_ fileKey: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: [UInt8](), info: Array("header".utf8), outputByteCount: 32)
    }

    static func payloadKey(_ fileKey: SymmetricKey, nonce: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), outputByteCount: 32)
    }
}
