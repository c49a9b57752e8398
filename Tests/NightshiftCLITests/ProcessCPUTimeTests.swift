import Foundation
import Testing
@testable import Bench

/// The bench's workers' CPU per job comes from /proc/PID/stat; its command-name field may hold
/// spaces and parentheses.
@Suite struct ProcessCPUTimeTests {
    @Test func readsUserAndSystemTimeAfterTheCommandName() {
        let stat = "4242 (night shift (w)) S 1 4242 4242 0 -1 4194560 2048 0 0 0 150 50 0 0 20 0 9 0 123 456 789"
        #expect(ProcessCPUTime.parse(stat: stat, ticksPerSecond: 100) == 2.0)
    }

    @Test func refusesAStatLineCutShort() {
        #expect(ProcessCPUTime.parse(stat: "4242 (nightshift) S 1 4242", ticksPerSecond: 100) == nil)
        #expect(ProcessCPUTime.parse(stat: "no command name here", ticksPerSecond: 100) == nil)
    }

    @Test func readsThisProcessesOwnTime() throws {
        let seconds = try #require(ProcessCPUTime.seconds(of: getpid()))
        #expect(seconds > 0)
    }
}
