import Foundation
import Logging
import ObjectStorage
import Synchronization

/// The S3-compatible server the tests use: moto with signature checking on, started by
/// ops/test.sh (`NIGHTSHIFT_TEST_S3_*`), or by the first test that needs it when run without
/// the script. Each test takes a bucket of its own.
public enum TestObjectStorage {
    private static let shared = Mutex<S3TestServer?>(nil)

    /// Where the shared server is, and its key.
    public static func server() throws -> (endpoint: URL, credentials: AWSCredentials) {
        let environment = ProcessInfo.processInfo.environment
        if let endpoint = environment["NIGHTSHIFT_TEST_S3_ENDPOINT"], let key = environment["NIGHTSHIFT_TEST_S3_ACCESS_KEY"],
           let secret = environment["NIGHTSHIFT_TEST_S3_SECRET_KEY"] {
            return (URL(string: endpoint)!, AWSCredentials(accessKeyID: key, secretAccessKey: secret))
        }
        return try shared.withLock { server in
            if server == nil { server = try S3TestServer() }
            return (server!.endpoint, server!.credentials)
        }
    }

    public static let region = "us-west-004"

    /// A new, empty bucket on the shared server, and a store for it.
    public static func freshBucket(_ prefix: String = "t", tune: (inout S3Configuration) -> Void = { _ in }) async throws -> S3Store {
        let (endpoint, credentials) = try server()
        return try await freshBucket(prefix, endpoint: endpoint, credentials: credentials, tune: tune)
    }

    public static func freshBucket(_ prefix: String, endpoint: URL, credentials: AWSCredentials,
                                   tune: (inout S3Configuration) -> Void = { _ in }) async throws -> S3Store {
        var configuration = S3Configuration(
            endpoint: endpoint, bucket: "nightshift-\(prefix)-\(UUID().uuidString.prefix(8).lowercased())",
            region: region, credentials: credentials)
        tune(&configuration)
        let store = S3Store(configuration: configuration, logger: TestDatabase.logger)
        try await store.createBucket()
        return store
    }
}

/// A moto server of a test's own (for a test that pauses or stops it), with signature
/// checking on, on a free loopback port.
public final class S3TestServer: @unchecked Sendable {
    public let endpoint: URL
    public let credentials: AWSCredentials
    public let port: Int
    private let process = Process()

    public init() throws {
        port = try Self.freePort()
        endpoint = URL(string: "http://127.0.0.1:\(port)")!
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.ops.appendingPathComponent("moto-server.py").path, "-H", "127.0.0.1", "-p", "\(port)"]
        var environment = ProcessInfo.processInfo.environment
        environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !Self.answers(port) {
            guard Date() < deadline, process.isRunning else { throw TimedOut(what: "moto_server on port \(port)", timeout: .seconds(20)) }
            usleep(100_000)
        }
        let setup = Process()
        setup.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        setup.arguments = ["python3", Self.ops.appendingPathComponent("s3-local-setup.py").path, endpoint.absoluteString]
        let output = Pipe()
        setup.standardOutput = output
        try setup.run()
        let keys = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        setup.waitUntilExit()
        guard setup.terminationStatus == 0, keys.count == 2 else {
            throw TimedOut(what: "moto IAM set-up (ops/s3-local-setup.py)", timeout: .zero)
        }
        credentials = AWSCredentials(accessKeyID: String(keys[0]), secretAccessKey: String(keys[1]))
    }

    /// Freezes the server (SIGSTOP): connections hang, as a server that stopped answering.
    public func pause() { kill(process.processIdentifier, SIGSTOP) }
    public func resume() { kill(process.processIdentifier, SIGCONT) }

    deinit {
        kill(process.processIdentifier, SIGCONT)
        process.terminate()
    }

    /// The repository's ops/ folder: moto's launcher and its IAM set-up.
    static var ops: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ops")
    }

    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func answers(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
