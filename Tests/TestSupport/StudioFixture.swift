import BackOffice
import Database
import Foundation
import JobQueue
import PostgresNIO

/// A month of demo records that no other test uses (a year of its own), and a backup folder.
public struct StudioFixture: Sendable {
    public static let years = YearAllocator()
    public let month: StudioMonth
    public let backups: URL

    public static func make(client: PostgresClient, rows: Int = 200) async throws -> StudioFixture {
        let month = try StudioMonth(year: await years.next(), month: Int.random(in: 1...12))
        // A database kept between runs may hold this month from an earlier run: start clean.
        let range = "data >= '\(month.firstDay)' AND data < '\(month.nextFirstDay)'"
        for statement in [
            "DELETE FROM extratos WHERE ano = \(month.year) AND mes = \(month.month)",
            "DELETE FROM extrato_runs WHERE ano = \(month.year) AND mes = \(month.month)",
            "DELETE FROM comissoes WHERE \(range)", "DELETE FROM pagamentos WHERE \(range)",
            "DELETE FROM sessoes WHERE \(range)", "DELETE FROM gastos WHERE \(range)",
        ] {
            try await client.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
        }
        try await DemoSeeder(client: client, logger: TestDatabase.logger).seed(months: [month], rowsPerMonth: rows)
        let backups = FileManager.default.temporaryDirectory.appendingPathComponent("nightshift-backups-\(UUID().uuidString)")
        return StudioFixture(month: month, backups: backups)
    }

    /// Records of the month still in the four tables.
    public func liveCount(_ client: PostgresClient) async throws -> Int {
        try await client.scalar(PostgresQuery(unsafeSQL: """
            SELECT ((SELECT count(*) FROM pagamentos WHERE data >= '\(month.firstDay)' AND data < '\(month.nextFirstDay)')
                  + (SELECT count(*) FROM sessoes WHERE data >= '\(month.firstDay)' AND data < '\(month.nextFirstDay)')
                  + (SELECT count(*) FROM comissoes WHERE data >= '\(month.firstDay)' AND data < '\(month.nextFirstDay)')
                  + (SELECT count(*) FROM gastos WHERE data >= '\(month.firstDay)' AND data < '\(month.nextFirstDay)'))::int
            """), as: Int.self) ?? -1
    }
}

/// Hands out years so tests running side by side never share a month.
public actor YearAllocator {
    private var year = 2100 + Int.random(in: 0..<400)
    public func next() -> Int {
        year += 1
        if year > 2999 { year = 2100 }
        return year
    }
}
