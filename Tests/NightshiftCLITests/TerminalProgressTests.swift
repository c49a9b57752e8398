import Foundation
@testable import NightshiftCLI
import NightshiftCore
import Testing

/// What a long command shows: the figures, the rate since the first report and the time left.
@Suite struct TerminalProgressTests {
    @Test func aLineHasTheFiguresTheRateAndTheTimeLeft() {
        let start = ContinuousClock.now
        let line = TerminalProgress.line("restore", WorkProgress(done: 500_000_000, total: 1_000_000_000, unit: .bytes, step: "pg_restore"),
                                         since: (start, 0), now: start + .seconds(10))
        #expect(line == "restore pg_restore: 500.0 MB of 1.0 GB (50 %), 50.0 MB/s, 10 s left")
        let records = TerminalProgress.line("seeding", WorkProgress(done: 3_000_000, total: 4_000_000, unit: .records, step: "2025-01"),
                                            since: (start, 1_000_000), now: start + .seconds(100))
        #expect(records == "seeding 2025-01: 3,000,000 of 4,000,000 records (75 %), 20,000 records/s, 50 s left")
        #expect(TerminalProgress.line("dump", WorkProgress(done: 10, unit: .bytes), since: (start, 0), now: start) == "dump: 10 bytes")
        #expect(TerminalProgress.duration(3_725) == "1 h 2 min" && TerminalProgress.duration(61) == "1 min 1 s")
    }
}
