@testable import BackOffice
import Foundation
import NightshiftCore
import Synchronization
import Testing
import TestSupport

/// The watchers behind a dump's and a restore's progress, against a real file and a real child
/// process reading it (what pg_dump and pg_restore are to them).
@Suite struct ProgressWatcherTests {
    final class Heard: WorkProgressReporting {
        let reports = Mutex<[WorkProgress]>([])
        func report(_ progress: WorkProgress) { reports.withLock { $0.append(progress) } }
        var last: WorkProgress? { reports.withLock { $0.last } }
    }

    @Test func aChildsReadPositionIsReportedAgainstTheFilesSize() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ns-watch-\(UUID().uuidString).dump")
        try Data(repeating: 7, count: 100_000).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        // Reads exactly 4,096 bytes (unbuffered), then waits to be killed.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", "-c", "import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); os.read(fd, 4096); print('ready', flush=True); time.sleep(60)", file.path]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        defer { kill(child.processIdentifier, SIGKILL) }
        _ = output.fileHandleForReading.availableData   // "ready": the read has happened
        let heard = Heard()
        let watcher = FileReadWatcher.start(child.processIdentifier, reading: file, step: "pg_restore", progress: heard, every: .milliseconds(20))
        defer { watcher.cancel() }
        try await eventually(timeout: .seconds(10), "the position reported") { heard.last != nil }
        #expect(heard.last == WorkProgress(done: 4_096, total: 100_000, unit: .bytes, step: "pg_restore"))
    }

    @Test func aGrowingFilesSizeIsReportedAgainstTheEstimate() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ns-grow-\(UUID().uuidString).dump")
        defer { try? FileManager.default.removeItem(at: file) }
        let heard = Heard()
        let watcher = FileGrowthWatcher.start(file, expected: 10_000, step: "pg_dump", progress: heard, every: .milliseconds(20))
        defer { watcher.cancel() }
        try Data(repeating: 1, count: 2_500).write(to: file)
        try await eventually(timeout: .seconds(10), "the size reported") { heard.last?.done == 2_500 }
        #expect(heard.last == WorkProgress(done: 2_500, total: 10_000, unit: .bytes, step: "pg_dump", estimated: true))
        // A dump bigger than the last one: the estimate moves up with it.
        try Data(repeating: 1, count: 12_000).write(to: file)
        try await eventually(timeout: .seconds(10), "the bigger size reported") { heard.last?.done == 12_000 }
        #expect(heard.last?.total == 12_000)
    }
}
