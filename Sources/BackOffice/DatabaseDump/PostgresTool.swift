import Database
import Foundation
import JobQueue
import NightshiftCore
#if canImport(Glibc)
import Glibc
#endif

/// pg_dump, pg_restore or psql, run as a child process. The database is named by `PG*`
/// variables (``LibPQParameters``), so its password is never on a command line, where `ps`
/// would show it. Cancelling the calling task stops the child (SIGTERM, then SIGKILL).
struct PostgresTool: Sendable {
    let name: String
    let executable: URL

    /// The tool in `binDirectory`, else in `PATH`, else the newest `/usr/lib/postgresql/*/bin`
    /// (a newer pg_dump can dump an older server, not the other way round).
    static func locate(_ name: String, in binDirectory: String?) throws(DumpError) -> PostgresTool {
        var candidates: [String] = []
        if let binDirectory { candidates.append(binDirectory) }
        else {
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
                .compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
            candidates += versions
            candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        }
        for folder in candidates {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return PostgresTool(name: name, executable: URL(fileURLWithPath: path)) }
        }
        throw DumpError.toolMissing(name: name, searched: binDirectory.map { "PG_BIN_DIR=\($0)" } ?? "PATH and /usr/lib/postgresql/*/bin")
    }

    struct Output: Sendable {
        var status: Int32
        /// The last 8 KiB of stderr, trimmed: the tool's own words when it fails.
        var errors: String
        /// stdout, when it was captured.
        var text: String
    }

    /// Runs the tool to the end. `stdout` nil captures it (for `pg_restore --list`); a file
    /// receives it instead; `outputPipe` streams it to the caller (an encrypted dump), and
    /// `inputPipe` is its stdin (pg_restore reading a decrypted stream). `started` hears the
    /// child's pid once it runs (to watch its progress).
    func run(_ arguments: [String], database: DatabaseURL, applicationName: String, stdout: URL? = nil,
             outputPipe: Pipe? = nil, inputPipe: Pipe? = nil, started: (@Sendable (pid_t) -> Void)? = nil) async throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment.merge(LibPQParameters(database, applicationName: applicationName).environment) { $1 }
        process.environment = environment
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("nightshift-\(name)-\(UUID().uuidString)")
        let errorsFile = scratch.appendingPathExtension("err")
        let outputFile = stdout ?? scratch.appendingPathExtension("out")
        _ = FileManager.default.createFile(atPath: errorsFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer {
            unlink(errorsFile.path)
            if stdout == nil { unlink(outputFile.path) }
        }
        process.standardError = try FileHandle(forWritingTo: errorsFile)
        process.standardOutput = try outputPipe ?? FileHandle(forWritingTo: outputFile)
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        let exited = ReadySignal()
        process.terminationHandler = { _ in exited.fire() }
        do { try process.run() } catch {
            throw DumpError.toolFailed(name: name, status: -1, message: "cannot start \(executable.path): \(error.localizedDescription)")
        }
        let pid = process.processIdentifier
        // A child reading stdin dies with this process anyway (its input closes); one writing a
        // file would go on for hours after a SIGKILL of the worker. A watchdog holds the read
        // end of a pipe only this process writes: when it dies, the watchdog reads EOF and
        // kills the child.
        let watchdog = inputPipe == nil ? ParentWatchdog.start(watching: pid) : nil
        defer { watchdog?.stop() }
        started?(pid)
        // The child holds its own ends now; the parent's copies would keep the pipes open.
        try? outputPipe?.fileHandleForWriting.close()
        try? inputPipe?.fileHandleForReading.close()
        await withTaskCancellationHandler {
            await exited.wait()
        } onCancel: {
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { kill(pid, SIGKILL) }
        }
        try Task.checkCancellation()
        let errors = Self.tail(errorsFile, limit: 8 * 1024)
        let text = stdout == nil && outputPipe == nil ? ((try? String(contentsOf: outputFile, encoding: .utf8)) ?? "") : ""
        return Output(status: process.terminationStatus, errors: database.redacting(errors), text: text)
    }

    private static func tail(_ file: URL, limit: Int) -> String {
        guard let data = try? Data(contentsOf: file) else { return "" }
        return String(decoding: data.suffix(limit), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
