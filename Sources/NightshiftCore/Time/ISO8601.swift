import Foundation

/// ISO 8601 times as flags and request bodies take them, with or without fractional seconds.
public enum ISO8601 {
    /// An RFC 3339 time, strictly: Foundation's parser would take minute 99 as 1 h 39 min
    /// later, so every field's range is checked first.
    public static func parse(_ text: String) -> Date? {
        guard isWellFormed(text) else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    public static func isWellFormed(_ text: String) -> Bool {
        let pattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/
        guard let match = text.wholeMatch(of: pattern),
              let year = Int(match.1), let month = Int(match.2), let day = Int(match.3),
              let hour = Int(match.4), let minute = Int(match.5), let second = Int(match.6) else { return false }
        if let offsetHours = match.9.flatMap({ Int($0) }), let offsetMinutes = match.10.flatMap({ Int($0) }),
           offsetHours > 23 || offsetMinutes > 59 { return false }
        guard (1...12).contains(month), hour <= 23, minute <= 59, second <= 59, day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }
}
