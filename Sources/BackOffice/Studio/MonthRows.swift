import Logging
import PostgresNIO

/// The month's records in the tables, record by record: amount in cents by id, by type, and
/// their exact totals (one statement, one snapshot).
struct MonthRows {
    var amounts: [String: [Int64: Int64]] = [:]
    var totals: [String: String] = [:]
    var count: Int { amounts.values.reduce(0) { $0 + $1.count } }

    static func read(_ month: StudioMonth, client: PostgresClient, logger: Logger) async throws -> MonthRows {
        var result = MonthRows()
        for try await (type, ids, cents, total) in try await client.query(PostgresQuery(unsafeSQL: MonthRecords.recordsSQL(month)), logger: logger)
            .decode((String, [Int64], [Int64], String).self) {
            result.add(type, ids: ids, cents: cents, total: total)
        }
        return result
    }

    mutating func add(_ type: String, ids: [Int64], cents: [Int64], total: String) {
        var byID: [Int64: Int64] = [:]
        byID.reserveCapacity(ids.count)
        for (id, amount) in zip(ids, cents) { byID[id] = amount }
        amounts[type] = byID
        totals[type] = total
    }
}
