import Database
import Foundation
import PostgresNIO
import Testing
import TestSupport

/// Every statement in ops/queries/*.sql runs against the real schema, so a migration that
/// renames a column breaks a test, not an operator's psql session at 3 a.m.
@Suite struct OperatorQueriesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ops/queries")

    @Test func everyOperatorQueryRunsAgainstTheSchema() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count >= 7, "\(files)")
        try await TestDatabase.withClient { client in
            // Some rows for them to find: a studio month and a failed job.
            _ = try await StudioFixture.make(client: client, rows: 20)
            var statements = 0
            for file in files {
                let sql = try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8)
                for statement in SQLStatementSplitter.split(sql) {
                    do {
                        _ = try await client.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger).collect()
                        statements += 1
                    } catch {
                        Issue.record("ops/queries/\(file): \(String(reflecting: error))\n\(statement)")
                    }
                }
            }
            #expect(statements >= 12)
        }
    }

    /// The same for ops/monitoring/alerts.sql, the checks an operator runs from cron.
    @Test func everyAlertQueryRunsAgainstTheSchema() async throws {
        let file = Self.folder.deletingLastPathComponent().appendingPathComponent("monitoring/alerts.sql")
        let sql = try String(contentsOf: file, encoding: .utf8)
        try await TestDatabase.withClient { client in
            var statements = 0
            for statement in SQLStatementSplitter.split(sql) {
                do {
                    _ = try await client.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger).collect()
                    statements += 1
                } catch {
                    Issue.record("ops/monitoring/alerts.sql: \(String(reflecting: error))\n\(statement)")
                }
            }
            #expect(statements >= 10)
        }
    }
}
