import BackOffice
import Database
import Foundation
import JobQueue
import PostgresNIO

/// A month of demo records that no other test uses, and a backup folder. The month is in the
/// past (2000–2023), since a month is closed only once it has ended (break-office2 13).
public struct StudioFixture: Sendable {
    /// Whole years, for tests that clear a year and close its months with ``ExtratoGenerator``
    /// directly (no "month has ended" check there): far future, apart from the fixtures' months.
    public static let years = YearAllocator()
    public static let months = MonthAllocator()
    public let month: StudioMonth
    public let backups: URL

    public static func make(client: PostgresClient, rows: Int = 200) async throws -> StudioFixture {
        let month = await months.next()
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

/// Hands out past months, 2000-01…2023-12, so tests running side by side never share one; each
/// keeps the three months after its own free (tests seed and close "the next month" too).
public actor MonthAllocator {
    static let first = 2000 * 12, spacing = 4, count = 24 * 12 / spacing
    private var index = Int.random(in: 0..<MonthAllocator.count)
    public func next() -> StudioMonth {
        index = (index + 1) % Self.count
        let n = Self.first + index * Self.spacing
        guard let month = try? StudioMonth(year: n / 12, month: n % 12 + 1) else { preconditionFailure("\(n) is not a month") }
        return month
    }
}
