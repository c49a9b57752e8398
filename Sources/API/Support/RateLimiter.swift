import Foundation
import Synchronization

/// Requests per subject per minute (seed 000: 30 a minute on the backup endpoints), counted in
/// this process in fixed one-minute windows. Per process on purpose: the limit protects the
/// service from a runaway client, and with N API processes a client gets at most N times the
/// limit — still bounded — while every request stays one database round trip cheaper than a
/// shared counter would make it. (docs/operations.md says so for operators.)
public final class RateLimiter: Sendable {
    public let limit: Int
    private let state = Mutex<[String: (window: Int, count: Int)]>([:])

    public init(perMinute limit: Int) {
        self.limit = limit
    }

    /// Nil when allowed; else the seconds until the subject's window resets (`Retry-After`).
    public func admit(_ subject: String, now: Date = Date()) -> Int? {
        let seconds = Int(now.timeIntervalSince1970)
        let window = seconds / 60
        return state.withLock { counts -> Int? in
            var entry = counts[subject] ?? (window, 0)
            if entry.window != window { entry = (window, 0) }
            guard entry.count < limit else { return 60 - seconds % 60 }
            entry.count += 1
            counts[subject] = entry
            if counts.count > 10_000 { counts = counts.filter { $0.value.window == window } }
            return nil
        }
    }
}
