import Cron
import Foundation

/// What a slot is about, which names its jobs' unique keys and fills their arguments.
///
/// - `previousMonth`: the month before the slot's date in `zone` — a close on day 1 (or the
///   safety net on day 2) is for last month. Key `…:2026-10`; values `year`, `month`, `period`.
/// - `day`: the slot's date in `zone`. Key `…:2026-11-22`; values `date`, `year`, `month`, `day`.
/// - `slot`: the slot instant itself. Key `…:2026-11-22T22:00:00Z`.
public enum SlotPeriod: Sendable, Equatable {
    case previousMonth(TimeZone)
    case day(TimeZone)
    case slot

    /// The period label (used in unique keys) and the template values for a slot.
    public func resolve(_ slot: Date) -> (label: String, values: [String: JSONValue]) {
        switch self {
        case .previousMonth(let zone):
            let date = Self.localDate(slot, zone)
            let year = date.month == 1 ? date.year - 1 : date.year
            let month = date.month == 1 ? 12 : date.month - 1
            let label = "\(year)-\(month < 10 ? "0" : "")\(month)"
            return (label, ["year": .integer(year), "month": .integer(month), "period": .string(label)])
        case .day(let zone):
            let date = Self.localDate(slot, zone)
            return (date.description, ["date": .string(date.description), "year": .integer(date.year),
                                       "month": .integer(date.month), "day": .integer(date.day)])
        case .slot:
            let label = ISO8601DateFormatter().string(from: slot)
            return (label, ["slot": .string(label)])
        }
    }

    static func localDate(_ instant: Date, _ zone: TimeZone) -> LocalDate {
        LocalDateTime(secondsAsUTC: Int(instant.timeIntervalSince1970) + zone.secondsFromGMT(for: instant)).date
    }
}
