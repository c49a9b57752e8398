import Foundation

/// A calendar month of the studio's records: `2026-10`.
public struct StudioMonth: Sendable, Hashable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init(year: Int, month: Int) throws(StudioMonthError) {
        guard (2000...2999).contains(year) else { throw StudioMonthError("year \(year) is out of range: use 2000…2999") }
        guard (1...12).contains(month) else { throw StudioMonthError("month \(month) is out of range: use 1…12") }
        self.year = year
        self.month = month
    }

    /// `2026-10`.
    public var label: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
    /// `2026_10`, the seed's folder and file naming.
    public var folderName: String { "\(year)_\(month < 10 ? "0" : "")\(month)" }
    /// `10/2026`, as the seed's messages write it.
    public var slashed: String { "\(month < 10 ? "0" : "")\(month)/\(year)" }
    public var description: String { label }

    /// First day of the month, `2026-10-01`, and of the next.
    public var firstDay: String { "\(label)-01" }
    public var nextFirstDay: String {
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        return "\(next.0)-\(next.1 < 10 ? "0" : "")\(next.1)-01"
    }

    /// The month before the one `date` falls in, in `zone`: what a close on day 1 is for.
    public static func previous(of date: Date, in zone: TimeZone) -> StudioMonth {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month], from: date)
        let (year, month) = parts.month == 1 ? (parts.year! - 1, 12) : (parts.year!, parts.month! - 1)
        return try! StudioMonth(year: year, month: month)
    }
}

public struct StudioMonthError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
