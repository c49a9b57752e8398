import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TestSupport

/// `nightshift serve` and `nightshift token create` as processes, as an operator starts them.
@Suite struct ServeCommandTests {
    func get(_ url: String, token: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test func serveRefusesAShortSecretAndWithAGoodOneAnswersAMintedToken() async throws {
        let weak = try ChildProcess(["serve", "--port", "0"], environment: ["JWT_SECRET_KEY": "too-short"])
        #expect(try await weak.waitForExit() != 0)
        #expect(weak.log.contains("JWT_SECRET_KEY is 9 bytes: use at least 32") && !weak.log.contains("too-short"), "\(weak.log)")

        try await TestDatabase.withClient { _ in }  // migrated, as `serve` expects
        let secret = "serve-test-\(UUID().uuidString)-\(UUID().uuidString)"
        let port = try S3TestServer.freePort()
        let server = try ChildProcess(["serve", "--port", "\(port)"], environment: ["JWT_SECRET_KEY": secret])
        do {
            try await eventually(timeout: .seconds(30), "serve answers /readyz") {
                guard server.process.isRunning else { return true }
                return (try? await get("http://127.0.0.1:\(port)/readyz").0) == 200
            }
        } catch { Issue.record("\(error): \(server.log)"); throw error }
        try #require(server.process.isRunning, "serve exited early: \(server.log)")
        let mint = try ChildProcess(["token", "create", "--subject", "service-account", "--role", "admin", "--days", "3650"],
                                    environment: ["JWT_SECRET_KEY": secret])
        #expect(try await mint.waitForExit() == 0)
        let token = mint.log.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.split(separator: ".").count == 3)
        let (status, body) = try await get("http://127.0.0.1:\(port)/api/queues", token: token)
        #expect(status == 200, "\(body)")
        #expect(try await get("http://127.0.0.1:\(port)/api/queues").0 == 401)
        server.kill(SIGTERM)
        #expect(try await server.waitForExit() == 0, "SIGTERM is a clean stop: \(server.log)")
        #expect(!server.log.contains(secret))
    }
}
