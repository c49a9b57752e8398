import Cron
import Foundation
import NightshiftCore

/// A calendar month of the studio's records, validated: `2026-10`.
public struct StudioMonth: Sendable, Hashable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    /// Years the studio's tables accept (`extratos.ano`).
    public static let years = 2000...2999

    public init(year: Int, month: Int) throws(InvalidInput) {
        guard Self.years.contains(year) else { throw InvalidInput(field: "year", "year \(year) is out of range: use 2000…2999") }
        guard (1...12).contains(month) else { throw InvalidInput(field: "month", "month \(month) is out of range: use 1…12") }
        self.year = year
        self.month = month
    }

    /// `2026-10`.
    public var label: String { local.description }
    /// `2026_10`, the seed's folder and file naming.
    public var folderName: String { label.replacingOccurrences(of: "-", with: "_") }
    /// `10/2026`, as the seed's messages write it.
    public var slashed: String { "\(month < 10 ? "0" : "")\(month)/\(year)" }
    public var description: String { label }

    /// First day of the month, `2026-10-01`, and of the next.
    public var firstDay: String { local.firstDay.description }
    public var nextFirstDay: String { local.next.firstDay.description }

    var local: LocalMonth { LocalMonth(year: year, month: month) }

    /// The month before this one, or nil before year 2000.
    public var previous: StudioMonth? { try? StudioMonth(local.previous) }

    /// The month before the one `date` falls in, in `zone`: what a close on day 1 is for.
    public static func previous(of date: Date, in zone: TimeZone) -> StudioMonth {
        let month = LocalMonth(containing: date, in: zone).previous
        guard let studio = try? StudioMonth(month) else { preconditionFailure("\(month) is outside 2000…2999") }
        return studio
    }

    /// Refuses a month that has not ended in `zone` at `now` (the current month, or a later
    /// one): closing it would skip its real close as "already generated" and leave every
    /// record typed after today outside any close (break-office2 13). The one owner of that
    /// rule: `extrato generate`, the generate-extrato job and the API's generate_service ask it.
    public func requireEnded(at now: Date, in zone: TimeZone) throws(InvalidInput) {
        let current = LocalMonth(containing: now, in: zone)
        guard local < current else {
            let field = year > current.year ? "year" : "month"
            throw InvalidInput(field: field, "month \(slashed) has not ended in \(zone.identifier) (TZ): it can be closed from \(nextFirstDay), "
                + "a month is closed only once it is over")
        }
    }

    init(_ month: LocalMonth) throws(InvalidInput) {
        try self.init(year: month.year, month: month.month)
    }
}
