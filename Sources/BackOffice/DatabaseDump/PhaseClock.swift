import Foundation
import NightshiftCore

/// Seconds spent in each step of a dump, for its log line: `dump=61.2 hash=0.7 check=0.1`.
struct PhaseClock {
    private var last = ContinuousClock.now
    private var laps: [(String, Duration)] = []

    mutating func lap(_ name: String) {
        let now = ContinuousClock.now
        laps.append((name, now - last))
        last = now
    }

    var summary: String { laps.map { "\($0.0)=\(String(format: "%.1f", $0.1.timeInterval))" }.joined(separator: " ") }
}
