import Foundation

/// A calendar month with no time zone: `2026-10`. The one place "the month before" and "the
/// month an instant falls in, in a zone" are computed (the month close, its schedules, the
/// demo seed).
public struct LocalMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// The month `instant` falls in, in `zone`.
    public init(containing instant: Date, in zone: TimeZone) {
        let date = LocalDate(containing: instant, in: zone)
        self.init(year: date.year, month: date.month)
    }

    public var previous: LocalMonth { month == 1 ? LocalMonth(year: year - 1, month: 12) : LocalMonth(year: year, month: month - 1) }
    public var next: LocalMonth { month == 12 ? LocalMonth(year: year + 1, month: 1) : LocalMonth(year: year, month: month + 1) }

    public var firstDay: LocalDate { LocalDate(year: year, month: month, day: 1) }

    public static func < (a: LocalMonth, b: LocalMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }

    /// `2026-10`.
    public var description: String { "\(pad(year, 4))-\(pad(month, 2))" }
}

extension LocalDate {
    /// The calendar date of `instant` in `zone`.
    public init(containing instant: Date, in zone: TimeZone) {
        let local = Int(floor(instant.timeIntervalSince1970)) + zone.secondsFromGMT(for: instant)
        self = LocalDateTime(secondsAsUTC: local).date
    }
}
