import Database
import Foundation
import PostgresNIO
import Testing
import TestSupport

/// Why a database cannot be opened, in the server's words, against the real server: its
/// pg_hba.conf (written by ops/pg-local.sh) makes `nightshift_password_role` give a password and
/// refuses `nightshift_rejected_role`.
@Suite struct ConnectionProbeTests {
    /// The probe's verdict. (How fast it answers is a figure, not a test: the old pool-only
    /// check said "timed out" after 10 s, so the server's own reason is what tells them apart.)
    func probe(_ change: (inout DatabaseURL) -> Void) async -> DatabaseUnreachable? {
        var url = TestDatabase.url
        change(&url)
        do {
            try await ConnectionProbe.check(url, logger: TestDatabase.logger)
            return nil
        } catch {
            return error
        }
    }

    @Test func theTestDatabaseAnswers() async {
        let error = await probe { _ in }
        #expect(error == nil, "\(error.map { "\($0)" } ?? "")")
    }

    @Test func aMissingDatabaseIsNamedAndPermanent() async throws {
        let error = await probe { $0.database = "nightshift_no_such_db" }
        let failure = try #require(error)
        #expect(failure.reason == .noSuchDatabase("nightshift_no_such_db") && failure.isPermanent)
        #expect(failure.description.contains("database \"nightshift_no_such_db\" does not exist"), "\(failure)")
    }

    @Test func aWrongPasswordIsTheServersReasonAndNeverShowsThePassword() async throws {
        try await TestDatabase.withClient { client in
            try await client.query("""
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nightshift_password_role') THEN
                        CREATE ROLE nightshift_password_role LOGIN PASSWORD 'the-right-one';
                    END IF;
                END $$
                """, logger: TestDatabase.logger)
        }
        let error = await probe {
            $0.username = "nightshift_password_role"
            $0.password = "s3cret-wrong-value"
        }
        let failure = try #require(error)
        guard case .authenticationFailed = failure.reason else { Issue.record("\(failure.reason)"); return }
        #expect(failure.isPermanent && failure.description.contains("password authentication failed for user \"nightshift_password_role\""),
                "\(failure)")
        #expect(!failure.description.contains("s3cret-wrong-value"), "the password is never shown")
    }

    @Test func aRoleThatPgHbaRefusesIsTheServersReason() async throws {
        let error = await probe { $0.username = "nightshift_rejected_role" }
        let failure = try #require(error)
        guard case .authenticationFailed(let message) = failure.reason else { Issue.record("\(failure.reason)"); return }
        #expect(message.contains("pg_hba.conf rejects connection") && failure.isPermanent, "\(failure)")
    }

    @Test func aPortWithNothingListeningIsRefusedAndWorthARetry() async throws {
        let port = try S3TestServer.freePort()
        let error = await probe { $0.port = port }
        let failure = try #require(error)
        #expect(failure.reason == .refused && !failure.isPermanent, "\(failure.reason)")
        #expect(failure.description.contains("no PostgreSQL at \(TestDatabase.url.host):\(port) (connection refused)"), "\(failure)")
    }

    @Test func sslRequiredOfAServerWithoutSSLIsNamed() async throws {
        try #require(await sslIsOff(), "the test server runs without SSL")
        let error = await probe { $0.sslMode = .require }
        let failure = try #require(error)
        #expect(failure.reason == .sslUnsupported && failure.isPermanent, "\(failure.reason)")
        #expect(failure.description.contains("does not accept SSL"), "\(failure)")
    }

    func sslIsOff() async -> Bool {
        (try? await TestDatabase.withClient { client in try await client.scalar("SHOW ssl", as: String.self) == "off" }) ?? false
    }
}
