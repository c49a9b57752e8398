import Foundation
import JWTKit
import NightshiftCore

/// Service-account tokens (seed 000): HS256 JWTs signed with `JWT_SECRET_KEY`, carrying `sub`,
/// `role`, `iat` and `exp`. Mints them for `nightshift token create` and checks them on every
/// API request: a missing, malformed, expired or wrongly signed token, and any algorithm but
/// HS256 (`none` included), is refused.
public struct TokenAuthority: Sendable {
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var role: String
        var iat: IssuedAtClaim
        var exp: ExpirationClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    private let keys: JWTKeyCollection
    /// `JWT_PREVIOUS_SECRET_KEY`, during a rotation: tokens it signed still verify, none is minted.
    private let previousKeys: JWTKeyCollection?
    public static let minimumSecretBytes = 32

    /// Refuses a secret shorter than 32 bytes: an HS256 key that short can be guessed offline.
    public init(secret: String?, previousSecret: String? = nil) async throws(ConfigurationError) {
        keys = try await Self.keys(secret, setting: "JWT_SECRET_KEY")
        if let previousSecret, !previousSecret.isEmpty {
            previousKeys = try await Self.keys(previousSecret, setting: "JWT_PREVIOUS_SECRET_KEY")
        } else {
            previousKeys = nil
        }
    }

    private static func keys(_ secret: String?, setting: String) async throws(ConfigurationError) -> JWTKeyCollection {
        guard let secret, !secret.isEmpty else {
            throw ConfigurationError("JWT_SECRET_KEY is not set: the API needs it to check tokens; set it to 32 or more random bytes, e.g. export JWT_SECRET_KEY=$(openssl rand -base64 48)",
                                     setting: "JWT_SECRET_KEY")
        }
        guard secret.utf8.count >= Self.minimumSecretBytes else {
            throw ConfigurationError("\(setting) is \(secret.utf8.count) bytes: use at least \(Self.minimumSecretBytes), e.g. export \(setting)=$(openssl rand -base64 48)",
                                     setting: setting)
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return keys
    }

    /// A token for `subject` with `role`, valid for `lifetime`.
    public func mint(subject: String, role: Role, lifetime: Duration, now: Date = Date()) async throws -> String {
        let claims = Claims(sub: SubjectClaim(value: subject), role: role.rawValue, iat: IssuedAtClaim(value: now),
                            exp: ExpirationClaim(value: now.addingTimeInterval(lifetime.timeInterval)))
        return try await keys.sign(claims)
    }

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case missing, malformed, wrongAlgorithm(String), badSignatureOrExpired, unknownRole(String)
        public var description: String {
            switch self {
            case .missing: return "no bearer token: send Authorization: Bearer <token> (see `nightshift token create`)"
            case .malformed: return "the bearer token is not a JWT"
            case .wrongAlgorithm(let alg): return "tokens must be signed with HS256, this one says '\(alg)'"
            case .badSignatureOrExpired: return "the token's signature does not match JWT_SECRET_KEY, or it has expired"
            case .unknownRole(let role): return "the token's role '\(role)' is not viewer, operator or admin"
            }
        }
    }

    /// The identity a bearer token proves, or why it proves none.
    public func verify(_ token: String) async throws(Refusal) -> Identity {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.base64URL(parts[0]),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { throw .malformed }
        // Only HS256: never `none`, and never an algorithm an attacker picks.
        guard let alg = object["alg"] as? String, alg == "HS256" else { throw .wrongAlgorithm((object["alg"] as? String) ?? "none") }
        let claims: Claims
        if let current = try? await keys.verify(token, as: Claims.self) {
            claims = current
        } else if let previousKeys, let previous = try? await previousKeys.verify(token, as: Claims.self) {
            claims = previous
        } else {
            throw .badSignatureOrExpired
        }
        guard let role = Role(rawValue: claims.role) else { throw .unknownRole(claims.role) }
        return Identity(subject: claims.sub.value, role: role)
    }

    private static func base64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
