import API
import Foundation
import Testing
import TestSupport

/// Every way a request can fail to prove who it is, with tokens from jwt-kit and from PyJWT.
@Suite struct AuthTests {
    func claims(role: String = "operator", expiresIn: TimeInterval = 600) -> [String: Any] {
        let now = Int(Date().timeIntervalSince1970)
        return ["sub": "github-actions", "role": role, "iat": now, "exp": now + Int(expiresIn)]
    }

    @Test func everyBadTokenIsA401AndAWeakRoleA403() async throws {
        try await APIHarness.with { api in
            let secret = APIHarness.secret
            let cases: [(String, String?)] = [
                ("missing", nil),
                ("not a JWT", "abc.def"),
                ("garbage in three parts", "x.y.z"),
                ("expired", try PyJWT.token(secret: secret, algorithm: "HS256", claims: claims(expiresIn: -60))),
                ("wrong secret", try PyJWT.token(secret: String(repeating: "w", count: 40), algorithm: "HS256", claims: claims())),
                ("alg none", try PyJWT.token(secret: secret, algorithm: "none", claims: claims())),
                ("HS512 with the right secret", try PyJWT.token(secret: secret, algorithm: "HS512", claims: claims())),
                ("unknown role", try PyJWT.token(secret: secret, algorithm: "HS256", claims: claims(role: "root"))),
            ]
            for (name, token) in cases {
                let reply = try await api.request(.GET, "/api/queues", token: token)
                #expect(reply.status == 401, "\(name): \(reply.status) \(reply.text)")
                #expect(reply.json["error"] as? String == "unauthorized", "\(name)")
                #expect(reply.headers.first(name: "www-authenticate") == "Bearer", "\(name)")
                #expect(!reply.text.contains(secret))
            }
            let viewer = try await api.token(.viewer)
            let forbidden = try await api.request(.POST, "/api/jobs", token: viewer, json: #"{"kind": "noop"}"#)
            #expect(forbidden.status == 403 && forbidden.json["error"] as? String == "forbidden", "\(forbidden.text)")
            #expect(try await api.request(.GET, "/api/queues", token: viewer).status == 200)
        }
    }

    @Test func aTokenFromAnotherJWTLibraryIsAccepted() async throws {
        try await APIHarness.with { api in
            let token = try PyJWT.token(secret: APIHarness.secret, algorithm: "HS256", claims: claims(role: "admin"))
            let reply = try await api.request(.POST, "/api/jobs", token: token, json: #"{"kind": "noop", "queue": "interop"}"#)
            #expect(reply.status == 201, "\(reply.text)")
        }
    }

    @Test func aShortOrMissingSecretIsRefusedAtStart() async {
        await #expect { _ = try await TokenAuthority(secret: nil) } throws: { "\($0)".contains("JWT_SECRET_KEY is not set") }
        await #expect { _ = try await TokenAuthority(secret: "short") } throws: { "\($0)".contains("use at least 32") }
    }

    @Test func duringARotationTheOldSecretsTokensStillVerifyAndNewOnesUseTheNewSecret() async throws {
        let old = String(repeating: "o", count: 40), new = String(repeating: "n", count: 40)
        let before = try await TokenAuthority(secret: old)
        let oldToken = try await before.mint(subject: "ci", role: .viewer, lifetime: .seconds(600))
        let rotating = try await TokenAuthority(secret: new, previousSecret: old)
        #expect(try await rotating.verify(oldToken).subject == "ci")
        let newToken = try await rotating.mint(subject: "ci", role: .viewer, lifetime: .seconds(600))
        #expect(try await TokenAuthority(secret: new).verify(newToken).role == .viewer, "minted with the new secret")
        // Once JWT_PREVIOUS_SECRET_KEY is unset, the old tokens are refused.
        await #expect(throws: TokenAuthority.Refusal.badSignatureOrExpired) { _ = try await TokenAuthority(secret: new).verify(oldToken) }
        await #expect { _ = try await TokenAuthority(secret: new, previousSecret: "short") } throws: {
            "\($0)".contains("JWT_PREVIOUS_SECRET_KEY is 5 bytes")
        }
    }

    @Test func theRateLimitCountsPerSubjectPerMinuteAndRecovers() async throws {
        try await APIHarness.with(settings: { $0.serviceRateLimitPerMinute = 3 }) { api in
            // The windows are the clock's minutes: four requests that straddle the turn of a
            // minute are counted in two windows, so such a round is not judged and the next
            // one (a few seconds long, so within one minute) is, with a subject of its own.
            for round in 1...2 {
                let token = try await api.token(.operator, subject: "busy-\(round)")
                let started = Int(Date().timeIntervalSince1970) / 60
                var statuses: [Int] = []
                var retryAfter: String?
                for _ in 0..<4 {
                    let reply = try await api.request(.POST, "/api/backup/create_service", token: token, json: #"{"month": 13, "year": 2026}"#)
                    statuses.append(reply.status)
                    retryAfter = reply.headers.first(name: "retry-after") ?? retryAfter
                }
                if round == 1 && Int(Date().timeIntervalSince1970) / 60 != started { continue }
                #expect(statuses == [400, 400, 400, 429], "the fourth request in a minute is refused")
                #expect(Int(retryAfter ?? "") ?? 0 > 0)
                break
            }
            let other = try await api.token(.operator, subject: "calm")
            #expect(try await api.request(.POST, "/api/backup/create_service", token: other, json: #"{"month": 13, "year": 2026}"#).status == 400)
        }
        // The next minute, the subject may go again.
        let limiter = RateLimiter(perMinute: 2)
        let minute = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(limiter.admit("a", now: minute) == nil && limiter.admit("a", now: minute) == nil)
        #expect(limiter.admit("a", now: minute.addingTimeInterval(1)) == 59)
        #expect(limiter.admit("a", now: minute.addingTimeInterval(60)) == nil)
    }
}
