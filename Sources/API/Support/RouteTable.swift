import HTTPTypes
import Hummingbird

/// Registers the API's routes with what each needs — the least role, the rate-limit bucket —
/// and remembers them, so a test can hold the list against the OpenAPI document.
public final class RouteTable {
    public struct Entry: Sendable, Hashable {
        public var method: String
        /// OpenAPI style: `/api/jobs/{id}`.
        public var path: String
        /// Nil: no token needed (health, readiness, metrics, the document itself).
        public var role: Role?
    }

    public enum Bucket: Sendable { case standard, backup }

    let router: Router<APIContext>
    let authority: TokenAuthority
    let limits: (standard: RateLimiter, backup: RateLimiter)
    private(set) var all: [Entry] = []

    init(router: Router<APIContext>, authority: TokenAuthority, limits: (standard: RateLimiter, backup: RateLimiter)) {
        self.router = router
        self.authority = authority
        self.limits = limits
    }

    /// `path` in OpenAPI style; Hummingbird gets `{name}` as `:name`.
    func add(_ method: HTTPRequest.Method, _ path: String, role: Role?, bucket: Bucket = .standard,
             _ handler: @escaping @Sendable (Request, APIContext) async throws -> Response) {
        all.append(Entry(method: method.rawValue, path: path, role: role))
        let routerPath = path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
        let authority = self.authority
        let limiter = bucket == .backup ? limits.backup : limits.standard
        router.on(RouterPath(routerPath), method: method) { request, context in
            guard let role else { return try await handler(request, context) }
            var context = context
            let identity = try await Self.authenticate(request, authority)
            guard identity.role >= role else {
                throw APIError.forbidden("this needs the \(role.rawValue) role; the token of '\(identity.subject)' has \(identity.role.rawValue)")
            }
            if let retryAfter = limiter.admit(identity.subject) {
                var error = APIError(.tooManyRequests, "rate_limited",
                                     "more than \(limiter.limit) requests a minute from '\(identity.subject)': try again in \(retryAfter) s")
                error.headers[.retryAfter] = String(retryAfter)
                throw error
            }
            context.identity = identity
            return try await handler(request, context)
        }
    }

    static func authenticate(_ request: Request, _ authority: TokenAuthority) async throws -> Identity {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized(TokenAuthority.Refusal.missing.description) }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("the Authorization header must read: Bearer <token>")
        }
        do {
            return try await authority.verify(String(parts[1]).trimmingCharacters(in: .whitespaces))
        } catch {
            throw APIError.unauthorized(error.description)
        }
    }
}
