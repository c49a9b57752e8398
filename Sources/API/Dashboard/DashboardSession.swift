import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// A signed-in person: the API token kept in an HttpOnly, SameSite=Strict cookie, checked on
/// every request like a Bearer token, and the CSRF token its forms carry (derived from the
/// session token, so a page of another site can neither read nor compute it).
struct DashboardSession: Sendable {
    static let cookie = "nightshift_session"
    let identity: Identity
    let csrf: String

    init(identity: Identity, token: String) {
        self.identity = identity
        csrf = Self.csrf(for: token)
    }

    static func csrf(for token: String) -> String {
        SHA256.hash(data: Data("nightshift-dashboard-csrf\u{0}\(token)".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func token(_ request: Request) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == cookie { return String(pair[1]) }
        }
        return nil
    }

    /// The session of a request, or nil when it has no valid token.
    static func of(_ request: Request, authority: TokenAuthority) async -> DashboardSession? {
        guard let token = token(request), let identity = try? await authority.verify(token) else { return nil }
        return DashboardSession(identity: identity, token: token)
    }

    /// Behind TLS (directly or through a proxy that says so) the cookie is also `Secure`.
    static func setCookie(_ token: String, request: Request) -> String {
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https"
        return "\(cookie)=\(token); Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    static let clearCookie = "\(cookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

    /// Constant-time comparison of a form's CSRF field with the session's.
    func accepts(_ fields: [String: String]) -> Bool {
        guard let given = fields["csrf"], given.utf8.count == csrf.utf8.count else { return false }
        return zip(given.utf8, csrf.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
