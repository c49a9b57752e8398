import Foundation
import PostgresNIO
import Testing
import TestSupport

/// `nightshift queue pause` records who paused: `$USER@host`, or without `$USER` and `$LOGNAME`
/// (cron, a container) the OS account's own name, never "unknown".
@Suite struct QueuePauseCommandTests {
    @Test func aPauseWithoutUserInTheEnvironmentNamesTheOSAccount() async throws {
        let queue = TestDatabase.uniqueQueue("who")
        try await TestDatabase.withClient { _ in }  // the shared database, migrated
        let pause = try ChildProcess(["queue", "pause", queue, "--reason", "test"], environment: ["USER": "", "LOGNAME": ""])
        #expect(try await pause.waitForExit(timeout: .seconds(60)) == 0, "\(pause.log)")
        let account = String(cString: getpwuid(getuid())!.pointee.pw_name)
        try await TestDatabase.withClient { client in
            let who = try await client.scalar("SELECT paused_by FROM queue_pauses WHERE queue = \(queue)", as: String.self)
            #expect(who == "\(account)@\(ProcessInfo.processInfo.hostName)", "\(who ?? "no pause")")
            try await client.query("DELETE FROM queue_pauses WHERE queue = \(queue)", logger: TestDatabase.logger)
        }
    }
}
