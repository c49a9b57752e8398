import Database
import Foundation
import Testing
import TestSupport

/// A wrong DATABASE_URL, as a person meets it: every command says the server's reason within
/// seconds; a long-running process stops at start on a permanent error and waits, logging the
/// cause, on a transient one.
@Suite struct ConnectionErrorTests {
    func url(_ change: (inout DatabaseURL) -> Void) -> String {
        var url = TestDatabase.url
        change(&url)
        return url.connectionString
    }

    @Test(arguments: [["enqueue", "noop"], ["migrate"], ["worker", "--no-maintenance"], ["scheduler"], ["serve", "--port", "0"]])
    func aMissingDatabaseStopsTheCommandAtStartWithTheServersReason(_ arguments: [String]) async throws {
        let process = try ChildProcess(arguments, environment: ["DATABASE_URL": url { $0.database = "nightshift_missing_db" },
                                                                "JWT_SECRET_KEY": "connection-error-test-secret-0123456789abcdef"])
        let status = try await process.waitForExit(timeout: .seconds(20))
        #expect(status != 0, "\(process.log)")
        #expect(process.log.contains("database \"nightshift_missing_db\" does not exist"), "\(process.log)")
    }

    @Test func aWrongPasswordIsNamedAndNeverPrinted() async throws {
        let process = try ChildProcess(["enqueue", "noop"], environment: ["DATABASE_URL": url {
            $0.username = "nightshift_password_role"
            $0.password = "wrong-pass-7f3a"
        }])
        #expect(try await process.waitForExit(timeout: .seconds(20)) != 0)
        #expect(process.log.contains("password authentication failed for user \"nightshift_password_role\""), "\(process.log)")
        #expect(!process.log.contains("wrong-pass-7f3a"), "the password is never printed")
    }

    @Test func aWorkerWaitsForADatabaseThatIsNotUpYetLoggingTheCause() async throws {
        let port = try S3TestServer.freePort()
        let worker = try ChildProcess(["worker", "--no-maintenance"], environment: ["DATABASE_URL": url { $0.port = port }, "LOG_LEVEL": "info"])
        try await eventually(timeout: .seconds(20), "the worker logged the cause and a retry") {
            worker.log.contains("connection refused") && worker.log.contains("retrying")
        }
        worker.kill(SIGTERM)
        let status = try await worker.waitForExit()
        #expect(status == 0, "a shutdown while waiting is clean: \(worker.log)")
    }
}
