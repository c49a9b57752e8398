import Foundation

/// A cron expression in an IANA time zone, and its fire times.
///
/// Daylight-saving rule: a wall time that does not exist (skipped when clocks spring forward)
/// fires at the first valid instant after the gap, which is the moment of the change; a wall
/// time that occurs twice (clocks fall back) fires once, at its first occurrence. Several
/// skipped times collapse into one fire, since fire times strictly increase.
public struct CronSchedule: Sendable, Equatable {
    public let expression: CronExpression
    public let timeZone: TimeZone

    public init(_ expression: CronExpression, timeZone: TimeZone) {
        self.expression = expression
        self.timeZone = timeZone
    }

    public init(_ expression: String, timeZone identifier: String) throws {
        guard let zone = TimeZone(identifier: identifier) else { throw UnknownTimeZone(identifier: identifier) }
        self.init(try CronExpression(expression), timeZone: zone)
    }

    /// The first fire time strictly after `date`, or nil if none within 12 years (for
    /// expressions such as `0 0 30 2 *` that never match).
    public func next(after date: Date) -> Date? {
        let afterSeconds = Int(floor(date.timeIntervalSince1970))
        let startLocal = LocalDateTime(secondsAsUTC: afterSeconds + timeZone.secondsFromGMT(for: date))
        // Start a day early: a wall time before `date`'s wall time can still map to a later
        // instant around a transition.
        var day = startLocal.date.adding(days: -1)
        let lastDay = startLocal.date.adding(days: 366 * 12)
        // Wall times this far before `date`'s wall time cannot map past `date`: no zone shifts
        // its clocks by more than a few hours at once.
        let earliestWall = startLocal.secondsAsUTC - 4 * 3_600
        let hours = expression.hour.values
        let minutes = expression.minute.values
        while day <= lastDay {
            if expression.matchesDay(day) {
                for hour in hours {
                    for minute in minutes {
                        let wall = LocalDateTime(date: day, hour: hour, minute: minute)
                        if wall.secondsAsUTC < earliestWall { continue }
                        let instant = LocalTimeConversion.instant(for: wall, in: timeZone)
                        if instant > afterSeconds { return Date(timeIntervalSince1970: TimeInterval(instant)) }
                    }
                }
            }
            day = day.adding(days: 1)
        }
        return nil
    }

    /// The next `count` fire times after `date`.
    public func next(_ count: Int, after date: Date) -> [Date] {
        var result: [Date] = []
        var cursor = date
        while result.count < count, let next = next(after: cursor) {
            result.append(next)
            cursor = next
        }
        return result
    }

    /// The last fire time at or before `date`, searching back at most `limit`.
    public func previous(atOrBefore date: Date, limit: TimeInterval = 366 * 86_400) -> Date? {
        // Step back in windows and take the last fire in the window that has one.
        var windowEnd = date
        var searched: TimeInterval = 0
        let window: TimeInterval = 2 * 86_400
        while searched < limit {
            let windowStart = windowEnd.addingTimeInterval(-window)
            var last: Date?
            var cursor = windowStart
            while let next = next(after: cursor), next <= windowEnd {
                last = next
                cursor = next
            }
            if let last { return last }
            windowEnd = windowStart
            searched += window
        }
        return nil
    }
}

/// Wall time → instant in a zone, by the daylight-saving rule above.
enum LocalTimeConversion {
    static func instant(for wall: LocalDateTime, in zone: TimeZone) -> Int {
        let local = wall.secondsAsUTC
        var offsets: [Int] = []
        for probe in [local - 50_400, local, local + 50_400] {
            let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe)))
            if !offsets.contains(offset) { offsets.append(offset) }
        }
        let valid = offsets
            .map { local - $0 }
            .filter { zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval($0))) == local - $0 }
        if let first = valid.min() { return first }
        // In a gap: the first valid instant after it is the transition itself.
        let earliest = offsets.map { local - $0 }.min() ?? local
        if let transition = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: TimeInterval(earliest - 1))) {
            return Int(transition.timeIntervalSince1970)
        }
        return local - offsets[0]
    }
}
