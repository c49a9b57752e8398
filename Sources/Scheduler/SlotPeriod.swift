import Cron
import Foundation

/// What a slot is about, which names its jobs' unique keys and fills their arguments.
///
/// - `previousMonth`: the month before the slot's date in `zone` — a close on day 1 (or the
///   safety net on day 2) is for last month. Key `…:2026-10`.
/// - `day`: the slot's date in `zone`. Key `…:2026-11-22`.
/// - `slot`: the slot instant itself. Key `…:2026-11-22T22:00:00Z`.
public enum SlotPeriod: Sendable, Equatable {
    case previousMonth(TimeZone)
    case day(TimeZone)
    case slot

    /// What one slot of this period is about.
    public func resolve(_ slot: Date) -> SlotDetails {
        switch self {
        case .previousMonth(let zone):
            let date = LocalDate(containing: slot, in: zone)
            let month = LocalMonth(year: date.year, month: date.month).previous
            return SlotDetails(label: month.description, instant: slot, date: date, month: month)
        case .day(let zone):
            let date = LocalDate(containing: slot, in: zone)
            return SlotDetails(label: date.description, instant: slot, date: date, month: LocalMonth(year: date.year, month: date.month))
        case .slot:
            let date = LocalDate(containing: slot, in: TimeZone(identifier: "UTC")!)
            return SlotDetails(label: ISO8601DateFormatter().string(from: slot), instant: slot, date: date,
                               month: LocalMonth(year: date.year, month: date.month))
        }
    }
}

/// One slot as its jobs see it: the label in their unique keys, the local date and the month
/// it is about (the previous month for a month close).
public struct SlotDetails: Sendable, Equatable {
    /// `2026-10`, `2026-11-22` or `2026-11-22T22:00:00Z`, by period.
    public var label: String
    public var instant: Date
    /// The slot's date in the period's zone (UTC for `slot`).
    public var date: LocalDate
    /// The month the slot is about: the previous month for `previousMonth`, else the date's.
    public var month: LocalMonth

    /// Values for `{name}` placeholders in a schedules file's job arguments: `year`, `month`
    /// (the month it is about), `date`, `day`, `period` (the label) and `slot` (ISO 8601).
    public var templateValues: [String: JSONValue] {
        ["year": .integer(month.year), "month": .integer(month.month), "date": .string(date.description),
         "day": .integer(date.day), "period": .string(label), "slot": .string(ISO8601DateFormatter().string(from: instant))]
    }
}
