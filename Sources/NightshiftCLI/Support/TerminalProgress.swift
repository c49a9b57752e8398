import Foundation
import Logging
import NightshiftCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A long command's progress. On a terminal: one line on stdout, redrawn in place at most ten
/// times a second, with the rate and, when the total is known, the time left. Otherwise (a
/// pipe, a file, cron's mail): a log line every `logEvery`, so output stays plain.
final class TerminalProgress: WorkProgressReporting {
    private struct State {
        var first: (at: ContinuousClock.Instant, done: Int64)?
        var lastDrawn: ContinuousClock.Instant?
        var drewLine = false
        var latest: WorkProgress?
    }

    private let label: String
    private let logger: Logger
    private let isTerminal: Bool
    private let logEvery: Duration
    private let state = Mutex(State())

    init(_ label: String, logger: Logger, isTerminal: Bool = isatty(STDOUT_FILENO) == 1, logEvery: Duration = .seconds(10)) {
        self.label = label
        self.logger = logger
        self.isTerminal = isTerminal
        self.logEvery = logEvery
    }

    func report(_ progress: WorkProgress) {
        let now = ContinuousClock.now
        let line = state.withLock { state -> String? in
            state.latest = progress
            if state.first == nil { state.first = (now, progress.done) }
            let gap: Duration = isTerminal ? .milliseconds(100) : logEvery
            if let last = state.lastDrawn, now - last < gap { return nil }
            state.lastDrawn = now
            state.drewLine = true
            return Self.line(label, progress, since: state.first!, now: now)
        }
        guard let line else { return }
        if isTerminal {
            FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            logger.info("progress", metadata: ["work": "\(label)", "progress": "\(line)"])
        }
    }

    /// Ends the redrawn line (with the last figures) so what the command prints next starts
    /// on a line of its own.
    func finish() {
        let (drew, latest, first) = state.withLock { ($0.drewLine, $0.latest, $0.first) }
        guard isTerminal, drew, let latest, let first else { return }
        FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + Self.line(label, latest, since: first, now: .now) + "\n").utf8))
    }

    /// "backup 2025-01: 1.2 GB of ~3.0 GB (40 %), 85.0 MB/s, 21 s left".
    static func line(_ label: String, _ progress: WorkProgress, since first: (at: ContinuousClock.Instant, done: Int64),
                     now: ContinuousClock.Instant) -> String {
        var text = "\(label)\(progress.step.map { " \($0)" } ?? ""): \(progress.text)"
        let seconds = (now - first.at).timeInterval
        let rate = seconds > 0.5 ? Double(progress.done - first.done) / seconds : 0
        if rate > 0 {
            text += ", " + WorkProgress.amount(Int64(rate), progress.unit) + "/s"
            if let total = progress.total, total > progress.done {
                text += ", " + Self.duration(Double(total - progress.done) / rate) + " left"
            }
        }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole) s" }
        if whole < 3_600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3_600) h \(whole / 60 % 60) min"
    }
}
