import Foundation

/// The `nightshift` executable built by `swift build`, run as a real child process.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    public let output: URL

    public static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["NIGHTSHIFT_BIN"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/nightshift")
    }

    /// `nightshift-test-worker`, built beside `nightshift`: the same CLI with the tests' kinds.
    public static var testWorker: URL {
        executable.deletingLastPathComponent().appendingPathComponent("nightshift-test-worker")
    }

    /// Starts `nightshift ARGUMENTS` (or `executable ARGUMENTS`) with DATABASE_URL pointing at
    /// the test database.
    public init(_ arguments: [String], environment extra: [String: String] = [:], executable: URL = ChildProcess.executable) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("nightshift-child-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = TestDatabase.url.connectionString
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    public func kill(_ signal: Int32) { _ = Foundation.kill(pid, signal) }

    /// Waits for the process to exit and returns its status.
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        try await eventually(timeout: timeout, "process \(pid) to exit") { !self.process.isRunning }
        return process.terminationStatus
    }

    public var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: output)
    }
}

