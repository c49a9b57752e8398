import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Kills a child tool (pg_dump, pg_restore) when this process dies, however it dies: a
/// SIGKILLed worker cannot stop its children, and `PR_SET_PDEATHSIG` follows the thread that
/// spawned the child, which a thread pool may retire at any time. A small `sh` holds the read
/// end of a pipe whose only writer is this process; the kernel closes that end when the
/// process dies, `read` returns, and the watchdog sends SIGKILL to the child. On a normal end
/// the watchdog is killed first, so it never signals a pid that has been reused.
final class ParentWatchdog: @unchecked Sendable {  // immutable after init
    private let watchdog: Process
    private let pipe: Pipe

    /// Nil when the watchdog cannot start (the child then runs unwatched, as before).
    static func start(watching child: pid_t) -> ParentWatchdog? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "read _ignored; kill -KILL \"$1\" 2>/dev/null", "nightshift-watchdog", String(child)]
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            try? pipe.fileHandleForWriting.close()
            try? pipe.fileHandleForReading.close()
            return nil
        }
        // The watchdog holds the read end; this process keeps only the write end.
        try? pipe.fileHandleForReading.close()
        return ParentWatchdog(watchdog: process, pipe: pipe)
    }

    private init(watchdog: Process, pipe: Pipe) {
        self.watchdog = watchdog
        self.pipe = pipe
    }

    /// The child ended: stop the watchdog before it could act, then close the pipe.
    func stop() {
        kill(watchdog.processIdentifier, SIGKILL)
        watchdog.waitUntilExit()
        try? pipe.fileHandleForWriting.close()
    }
}
