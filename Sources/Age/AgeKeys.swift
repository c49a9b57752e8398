import Crypto
import Foundation

/// An age X25519 public key (`age1…`): whom a file is encrypted to.
public struct AgeRecipient: Sendable, Equatable, CustomStringConvertible {
    public let publicKey: Curve25519.KeyAgreement.PublicKey

    public init(publicKey: Curve25519.KeyAgreement.PublicKey) {
        self.publicKey = publicKey
    }

    /// Parses `age1…`. The error says what is wrong, quoting at most the first characters.
    public init(parsing text: String) throws(AgeError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let shown = trimmed.count > 12 ? "`\(trimmed.prefix(12))…`" : "`\(trimmed)`"
        if trimmed.uppercased().hasPrefix("AGE-SECRET-KEY-") {
            throw .badRecipient("that is a secret key (an identity), not a public key: give its `age1…` public key instead, and keep the secret key off this machine")
        }
        if trimmed.hasPrefix("ssh-") { throw .badRecipient("\(shown) is an SSH key; only age X25519 keys (`age1…`) are supported") }
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(trimmed) } catch {
            throw .badRecipient("\(shown) is not bech32 (\(error == .badChecksum ? "bad checksum: a character was mistyped or cut off" : "\(error)"))")
        }
        guard decoded.hrp == "age" else { throw .badRecipient("\(shown) does not start with `age1`") }
        guard decoded.data.count == 32, let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: decoded.data) else {
            throw .badRecipient("\(shown) holds \(decoded.data.count) bytes, an X25519 key has 32")
        }
        guard trimmed == trimmed.lowercased() else { throw .badRecipient("\(shown) must be lowercase") }
        publicKey = key
    }

    /// `age1…`
    public var description: String { Bech32.encode(hrp: "age", data: Array(publicKey.rawRepresentation)) }

    public static func == (a: AgeRecipient, b: AgeRecipient) -> Bool { a.publicKey.rawRepresentation == b.publicKey.rawRepresentation }
}

/// An age X25519 secret key (`AGE-SECRET-KEY-1…`): what opens a file. Never printed.
public struct AgeIdentity: Sendable, CustomStringConvertible {
    public let privateKey: Curve25519.KeyAgreement.PrivateKey

    public init(privateKey: Curve25519.KeyAgreement.PrivateKey = Curve25519.KeyAgreement.PrivateKey()) {
        self.privateKey = privateKey
    }

    /// Parses one `AGE-SECRET-KEY-1…` line. Errors never quote the key.
    public init(parsing text: String) throws(AgeError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("age1") { throw .badIdentity("a public key (`age1…`) is not an identity; give the `AGE-SECRET-KEY-1…` line") }
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(trimmed) } catch {
            throw .badIdentity(error == .badChecksum ? "bad checksum (a character was mistyped or cut off)" : "not bech32 (\(error))")
        }
        guard decoded.hrp == "age-secret-key-" else { throw .badIdentity("the line does not start with `AGE-SECRET-KEY-1`") }
        guard trimmed == trimmed.uppercased() else { throw .badIdentity("must be uppercase, as age-keygen writes it") }
        guard decoded.data.count == 32, let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: decoded.data) else {
            throw .badIdentity("holds \(decoded.data.count) bytes, an X25519 key has 32")
        }
        privateKey = key
    }

    /// Every identity in an identity file's text (age-keygen's format: `#` comments, blank
    /// lines, one `AGE-SECRET-KEY-1…` per line). `source` names the file in errors.
    public static func parseFile(_ text: String, source: String) throws(AgeError) -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if content.isEmpty || content.hasPrefix("#") { continue }
            do { identities.append(try AgeIdentity(parsing: content)) } catch {
                guard case .badIdentity(let why) = error else { throw error }
                throw .badIdentity("\(source) line \(number + 1): \(why)")
            }
        }
        guard !identities.isEmpty else { throw .badIdentity("\(source) holds no `AGE-SECRET-KEY-1…` line") }
        return identities
    }

    public var recipient: AgeRecipient { AgeRecipient(publicKey: privateKey.publicKey) }

    /// `AGE-SECRET-KEY-1…`, for writing an identity file only.
    public var secretKeyLine: String { Bech32.encode(hrp: "age-secret-key-", data: Array(privateKey.rawRepresentation)).uppercased() }

    /// The identity file age-keygen would write.
    public func identityFile(createdAt: Date = Date()) -> String {
        let stamp = ISO8601DateFormatter().string(from: createdAt)
        return "# created: \(stamp)\n# public key: \(recipient)\n\(secretKeyLine)\n"
    }

    public var description: String { "age identity for \(recipient)" }
}
