import Crypto
import Foundation

/// The X25519 recipient stanza: `-> X25519 <ephemeral share>` and the file key wrapped with
/// ChaCha20-Poly1305 under HKDF(shared secret, share ‖ recipient, "age-encryption.org/v1/X25519").
enum X25519Stanza {
    static let type = "X25519"
    private static let info = Array("age-encryption.org/v1/X25519".utf8)

    static func wrap(_ fileKey: SymmetricKey, to recipient: AgeRecipient) throws -> AgeStanza {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: recipient.publicKey)
        let wrapKey = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: share + Array(recipient.publicKey.rawRepresentation),
                                                     sharedInfo: info, outputByteCount: 32)
        let sealed = try ChaChaPoly.seal(fileKey.withUnsafeBytes { Array($0) }, using: wrapKey, nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
        return AgeStanza(type: type, arguments: [AgeBase64.encode(share)], body: Array(sealed.ciphertext) + Array(sealed.tag))
    }

    /// The file key, when `stanza` was made for `identity`; nil when it was made for another key.
    /// A malformed X25519 stanza is an error, as in age.
    static func unwrap(_ stanza: AgeStanza, with identity: AgeIdentity) throws(AgeError) -> SymmetricKey? {
        guard stanza.arguments.count == 1, let share = AgeBase64.decode(stanza.arguments[0]), share.count == 32 else {
            throw .badHeader("an X25519 stanza must have one argument, a 32-byte share")
        }
        guard stanza.body.count == 32 else { throw .badHeader("an X25519 stanza's body must be 32 bytes") }
        guard let sharePoint = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: share),
              let shared = try? identity.privateKey.sharedSecretFromKeyAgreement(with: sharePoint) else {
            throw .badHeader("an X25519 stanza's share is not a valid point")
        }
        guard shared.withUnsafeBytes({ raw in raw.contains { $0 != 0 } }) else { throw .badHeader("an X25519 stanza's share is a low-order point") }
        let wrapKey = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: share + Array(identity.recipient.publicKey.rawRepresentation),
                                                     sharedInfo: info, outputByteCount: 32)
        guard let box = try? ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)),
                                                  ciphertext: stanza.body.prefix(16), tag: stanza.body.suffix(16)),
              let fileKey = try? ChaChaPoly.open(box, using: wrapKey) else {
            return nil
        }
        return SymmetricKey(data: fileKey)
    }
}
