import API
import AsyncHTTPClient
import BackOffice
import Database
import Foundation
import JobQueue
import Monitoring
import NIOCore
import NIOHTTP1
import NightshiftCLI
import ObjectStorage
import PostgresNIO
import Scheduler
import ServiceLifecycle
import TestSupport

/// The API on a free port with the real routes, store and kinds, and a real HTTP client.
struct APIHarness: Sendable {
    static let secret = "nightshift-test-secret-0123456789-abcdefghij"
    let port: Int
    let authority: TokenAuthority
    let client: PostgresClient
    let backups: URL
    let metrics: MetricsRegistry
    let routes: [RouteTable.Entry]

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var array: [[String: Any]] { (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] ?? [] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func with<T: Sendable>(settings tune: @Sendable (inout APIServer.Settings) -> Void = { _ in },
                                  backOffice: @Sendable (inout BackOfficeSettings) -> Void = { _ in },
                                  database: DatabaseURL? = nil,
                                  objectStore: (any ObjectStore)? = nil,
                                  _ body: @Sendable (APIHarness) async throws -> T) async throws -> T {
        try await TestDatabase.withClient(url: database ?? TestDatabase.url, migrate: database == nil) { client in
            if database != nil {
                _ = try await Migrator(client: client, logger: TestDatabase.logger).migrate(Migration.load(from: TestDatabase.migrationsDirectory))
            }
            let backups = FileManager.default.temporaryDirectory.appendingPathComponent("ns-api-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: backups) }
            var office = BackOfficeSettings(backupDirectory: backups, branchID: "api-\(UUID().uuidString.prefix(6).lowercased())")
            backOffice(&office)
            var registry = JobRegistry()
            try registry.register(NoopJob())
            try TestKinds.register(in: &registry)
            try BackOfficeKinds.register(in: &registry, settings: office, database: TestDatabase.url,
                                         stores: .init(store: LocalDirectoryStore(root: backups.appendingPathComponent("store")), offsite: nil))
            let metrics = MetricsRegistry()
            let store = JobStore(client: client, logger: TestDatabase.logger, events: JobEvents([JobMetrics(registry: metrics)]))
            let authority = try await TokenAuthority(secret: secret)
            var settings = APIServer.Settings()
            settings.port = 0
            tune(&settings)
            let dependencies = APIDependencies(store: store, registry: registry, schedules: BackOfficeSchedules.make(office),
                                               backOffice: office, keyNamespace: "api-\(UUID().uuidString.prefix(6))",
                                               metrics: metrics, objectStore: objectStore ?? LocalDirectoryStore(root: backups.appendingPathComponent("store")),
                                               logger: TestDatabase.logger)
            let bound = AsyncStream.makeStream(of: Int.self)
            let server = try APIServer(settings: settings, authority: authority, dependencies: dependencies)
            let application = server.application { port in bound.continuation.yield(port) }
            let group = ServiceGroup(configuration: .init(services: [application], logger: TestDatabase.logger))
            let running = Task { try await group.run() }
            var ports = bound.stream.makeAsyncIterator()
            guard let port = await ports.next() else { throw TimedOut(what: "the API to listen", timeout: .zero) }
            let harness = APIHarness(port: port, authority: authority, client: client, backups: backups, metrics: metrics,
                                     routes: server.routes)
            do {
                let value = try await body(harness)
                await group.triggerGracefulShutdown()
                _ = try? await running.value
                return value
            } catch {
                await group.triggerGracefulShutdown()
                _ = try? await running.value
                throw error
            }
        }
    }

    func token(_ role: Role, subject: String = "tester") async throws -> String {
        try await authority.mint(subject: subject, role: role, lifetime: .seconds(600))
    }

    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, json: String? = nil,
                 contentType: String = "application/json", body: Data? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        if let bytes = body ?? json.map({ Data($0.utf8) }) {
            request.headers.add(name: "content-type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(collected.readableBytesView))
    }
}

/// Tokens made by an independent JWT library (PyJWT, from PyPI), for interoperability and for
/// the tokens jwt-kit would never make (alg none, HS512, expired).
enum PyJWT {
    static func token(secret: String, algorithm: String, claims: [String: Any]) throws -> String {
        let script = """
            import json, sys, jwt
            claims = json.loads(sys.argv[3])
            if sys.argv[2] == "none":
                print(jwt.encode(claims, None, algorithm="none"))
            else:
                print(jwt.encode(claims, sys.argv[1], algorithm=sys.argv[2]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, secret, algorithm,
                             String(decoding: try JSONSerialization.data(withJSONObject: claims), as: UTF8.self)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TimedOut(what: "PyJWT (pip install PyJWT)", timeout: .zero) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
