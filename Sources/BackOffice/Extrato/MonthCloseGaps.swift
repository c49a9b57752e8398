import Foundation
import Logging
import PostgresNIO

/// Months whose close is missing: due, yet with neither an extrato nor a live
/// `generate-extrato` job (a downtime across month-ends, a close that failed for good). The
/// rule is the SQL function `month_close_gaps` (migration 0016), which the state gauges and
/// ops/monitoring/alerts.sql read too.
public enum MonthCloseGaps {
    /// Oldest first, in `zone` (the studio's `TZ`) at `now`.
    public static func read(client: PostgresClient, zone: TimeZone, now: Date = Date(), logger: Logger) async throws -> [StudioMonth] {
        var months: [StudioMonth] = []
        for try await (year, month) in try await client.query("""
            SELECT ano, mes FROM month_close_gaps(\(zone.identifier), \(now))
            """, logger: logger).decode((Int, Int).self) {
            if let studio = try? StudioMonth(year: year, month: month) { months.append(studio) }
        }
        return months
    }
}
