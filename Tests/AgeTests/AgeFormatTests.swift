import Crypto
import Foundation
import Testing
@testable import Age

@Suite struct AgeFormatTests {
    let identity = AgeIdentity()
    var recipient: AgeRecipient { identity.recipient }

    @Test(arguments: [0, 1, 100, 65_535, 65_536, 65_537, 2 * 65_536, 2 * 65_536 + 1, 300_001])
    func roundTrip(size: Int) throws {
        let plaintext = randomBytes(size)
        for piece in [1_000, 65_536, 1 << 20] {
            let sealed = try encrypt(plaintext, to: [recipient], piece: piece)
            let chunks = max(1, (size + 65_535) / 65_536)
            // Header, 16-byte nonce, and each chunk's 16-byte tag: nothing else.
            let header = try #require(try AgeHeader.parse(sealed)).length
            #expect(sealed.count == header + 16 + size + 16 * chunks)
            #expect(try decrypt(sealed, with: [identity], piece: piece / 3 + 1) == plaintext)
        }
    }

    @Test func multipleRecipientsEachOpenTheFile() throws {
        let others = [AgeIdentity(), AgeIdentity()]
        let sealed = try encrypt(Array("fechamento de março".utf8), to: [recipient] + others.map(\.recipient))
        let header = try #require(try AgeHeader.read(prefix: sealed))
        #expect(header.stanzaTypes == ["X25519": 3])
        for reader in [identity] + others {
            #expect(try decrypt(sealed, with: [reader]) == Array("fechamento de março".utf8))
        }
    }

    @Test func keysRoundTripThroughTheirText() throws {
        let text = identity.secretKeyLine
        #expect(text.hasPrefix("AGE-SECRET-KEY-1"))
        let parsed = try AgeIdentity(parsing: text)
        #expect(parsed.recipient == recipient)
        #expect(try AgeRecipient(parsing: recipient.description) == recipient)
        let file = identity.identityFile()
        #expect(file.contains("# public key: \(recipient)"))
        #expect(try AgeIdentity.parseFile(file, source: "keys.txt").map(\.recipient) == [recipient])
    }

    @Test func badKeysNameTheProblemWithoutShowingSecrets() throws {
        var typo = Array(recipient.description)
        typo[10] = typo[10] == "q" ? "p" : "q"
        #expect(throws: AgeError.self) { try AgeRecipient(parsing: String(typo)) }
        do { _ = try AgeRecipient(parsing: String(typo)) } catch { #expect("\(error)".contains("checksum")) }
        do { _ = try AgeRecipient(parsing: identity.secretKeyLine) } catch {
            #expect("\(error)".contains("secret key"))
            #expect(!"\(error)".contains(identity.secretKeyLine.dropFirst(16).prefix(10)))
        }
        var secret = Array(identity.secretKeyLine)
        secret[30] = secret[30] == "Q" ? "P" : "Q"
        do { _ = try AgeIdentity.parseFile("# mine\n\(String(secret))\n", source: "/etc/nightshift/age.key") } catch {
            let message = "\(error)"
            #expect(message.contains("/etc/nightshift/age.key line 2"))
            #expect(!message.contains(String(secret).dropFirst(16).prefix(10)))
        }
        #expect(throws: AgeError.self) { try AgeIdentity.parseFile("# nothing here\n", source: "empty.txt") }
        #expect(throws: AgeError.self) { try AgeRecipient(parsing: "ssh-ed25519 AAAAC3Nza") }
    }

    @Test func anotherKeyDoesNotOpenTheFile() throws {
        let sealed = try encrypt(randomBytes(1000), to: [recipient])
        #expect(throws: AgeError.noMatchingIdentity) { try decrypt(sealed, with: [AgeIdentity()]) }
    }

    /// Every kind of tampering is an error before any plaintext of the tampered chunk is released.
    @Test func tamperingIsDetected() throws {
        let plaintext = randomBytes(3 * 65_536 + 500)
        let sealed = try encrypt(plaintext, to: [recipient])
        let headerLength = try #require(try AgeHeader.parse(sealed)).length
        let payload = headerLength + 16
        let chunk = 65_536 + 16

        var flipped = sealed
        flipped[payload + chunk + 100] ^= 0x01
        #expect(throws: AgeError.badPayload("chunk 1")) { try decrypt(flipped, with: [identity]) }

        var flippedLast = sealed
        flippedLast[sealed.count - 1] ^= 0x80
        #expect(throws: AgeError.badPayload("chunk 3, the last")) { try decrypt(flippedLast, with: [identity]) }

        var reordered = sealed
        reordered.replaceSubrange((payload)..<(payload + chunk), with: sealed[(payload + chunk)..<(payload + 2 * chunk)])
        reordered.replaceSubrange((payload + chunk)..<(payload + 2 * chunk), with: sealed[payload..<(payload + chunk)])
        #expect(throws: AgeError.badPayload("chunk 0")) { try decrypt(reordered, with: [identity]) }

        let cutAtBoundary = Array(sealed[..<(payload + 3 * chunk)])
        #expect(throws: AgeError.self) { try decrypt(cutAtBoundary, with: [identity]) }
        let cutShort = Array(sealed.dropLast(1))
        #expect(throws: AgeError.badPayload("chunk 3, the last")) { try decrypt(cutShort, with: [identity]) }
        #expect(throws: AgeError.self) { try decrypt(Array(sealed[..<(headerLength + 5)]), with: [identity]) }
        #expect(throws: AgeError.self) { try decrypt(sealed + [0], with: [identity]) }

        var badMAC = sealed
        let macAt = try #require(String(decoding: sealed[..<headerLength], as: UTF8.self).range(of: "--- ")).upperBound.utf16Offset(in: String(decoding: sealed[..<headerLength], as: UTF8.self))
        badMAC[macAt] = badMAC[macAt] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: AgeError.self) { try decrypt(badMAC, with: [identity]) }

        var badNonce = sealed
        badNonce[headerLength] ^= 0x01
        #expect(throws: AgeError.badPayload("chunk 0")) { try decrypt(badNonce, with: [identity]) }

        #expect(throws: AgeError.self) { try decrypt(Array("not an age file at all\n".utf8), with: [identity]) }
        #expect(throws: AgeError.self) { try decrypt([], with: [identity]) }
    }

    /// The age project's test kit: the headers of its X25519 and header-rule vectors.
    @Test(arguments: ["x25519", "x25519_multiple_recipients", "x25519_low_order", "x25519_no_match", "hmac_garbage",
                      "hmac_truncated", "stanza_not_canonical", "stanza_long_line", "stanza_missing_final_line", "stanza_empty_argument"])
    func testkit(name: String) throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/testkit/\(name)", withExtension: nil))
        let text = try String(contentsOf: url, encoding: .utf8)
        let parts = text.components(separatedBy: "\n\n")
        var fields: [String: String] = [:]
        for line in parts[0].split(separator: "\n") {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            fields[pair[0]] = pair[1]
        }
        let identity = try AgeIdentity(parsing: try #require(fields["identity"]))
        let header = Array(parts.dropFirst().joined(separator: "\n\n").utf8)
        let result: Result<SymmetricKey, AgeError> = Result {
            guard let (parsed, _) = try AgeHeader.parse(header) else { throw AgeError.truncated("header") }
            return try parsed.fileKey(identities: [identity])
        }.mapError { $0 as! AgeError }
        switch fields["expect"] {
        case "success":
            let key = try result.get()
            #expect(key.withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined() == fields["file key"])
        case "no match":
            #expect(throws: AgeError.noMatchingIdentity) { try result.get() }
        default:
            #expect(throws: AgeError.self) { try result.get() }
            if case .failure(let error) = result { #expect(error != .noMatchingIdentity) }
        }
    }
}
