import Cron
import Foundation
import Testing

/// Every expression × zone × window: the fire times equal those found by checking every
/// minute of the window independently, so results match their fields, strictly increase and
/// skip no slot.
@Suite struct CronPropertyTests {
    static let expressions = [
        "*/15 * * * *", "30 2 * * *", "0 0 * * *", "0 2 1 * *", "0 3 2 * *", "45 21 * * *", "0 22 * * *",
        "0 2 * * sun", "0 9-17/2 * * mon-fri", "5,35 1-3 * * *", "0 0 29 2 *", "0 0 31 * *", "0 12 13 * 5",
        "@hourly", "@daily", "@weekly", "@monthly", "*/7 0-2 * * *", "59 23 * * *", "0,30 0,1,2,3 * * *",
    ]

    /// Four days around each clock change of the year, and a leap day, per zone.
    static let windows: [(zone: String, start: String)] = [
        ("UTC", "2028-02-27T00:00:00Z"),
        ("America/New_York", "2026-03-06T00:00:00Z"), ("America/New_York", "2026-10-30T00:00:00Z"),
        ("Europe/London", "2026-03-27T00:00:00Z"), ("Europe/London", "2026-10-23T00:00:00Z"),
        ("America/Sao_Paulo", "2018-11-02T00:00:00Z"), ("America/Sao_Paulo", "2019-02-15T00:00:00Z"),
        ("America/Sao_Paulo", "2026-10-30T00:00:00Z"),
        ("Asia/Kolkata", "2026-02-27T00:00:00Z"), ("Asia/Kathmandu", "2026-02-27T00:00:00Z"),
        ("Australia/Adelaide", "2026-04-03T00:00:00Z"), ("Australia/Adelaide", "2026-10-02T00:00:00Z"),
        ("Australia/Lord_Howe", "2026-04-03T00:00:00Z"), ("Australia/Lord_Howe", "2026-10-02T00:00:00Z"),
        ("Pacific/Chatham", "2026-04-03T00:00:00Z"), ("Pacific/Chatham", "2026-09-25T00:00:00Z"),
    ]

    @Test(arguments: windows.indices)
    func fireTimesEqualAMinuteByMinuteScan(window index: Int) throws {
        let (zoneName, startText) = Self.windows[index]
        let zone = try #require(TimeZone(identifier: zoneName))
        let start = try #require(ISO8601DateFormatter().date(from: startText))
        let end = start.addingTimeInterval(4 * 86_400)
        for text in Self.expressions {
            let expression = try CronExpression(text)
            let schedule = CronSchedule(expression, timeZone: zone)
            var fires: [Date] = []
            var cursor = start
            while let next = schedule.next(after: cursor), next <= end {
                fires.append(next)
                cursor = next
            }
            let expected = Self.scan(expression, zone: zone, from: start, to: end)
            let firstDifference = zip(fires, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(fires.count, expected.count)
            #expect(fires.count == expected.count && firstDifference == fires.count,
                    "\(text) in \(zoneName) from \(startText): \(fires.count) fires, scan found \(expected.count); first difference at #\(firstDifference): \(fires.dropFirst(firstDifference).first.map { "\($0)" } ?? "-") vs \(expected.dropFirst(firstDifference).first.map { "\($0)" } ?? "-")")
            #expect(zip(fires, fires.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing")
        }
    }

    /// The oracle: an instant fires when its wall time matches and this is that wall time's
    /// first occurrence, or when it ends a gap in which some skipped wall time matched.
    static func scan(_ expression: CronExpression, zone: TimeZone, from start: Date, to end: Date) -> [Date] {
        var result: [Date] = []
        var t = Int(start.timeIntervalSince1970) / 60 * 60 + 60
        let last = Int(end.timeIntervalSince1970)
        while t <= last {
            let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t)))
            let wall = LocalDateTime(secondsAsUTC: t + offset)
            let previousOffset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t - 60)))
            // First occurrence: the same wall time was not shown earlier by a larger offset.
            var firstOccurrence = true
            for earlier in [3_600, 1_800, 7_200] where previousOffset > offset || zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t - earlier))) > offset {
                let earlierOffset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t - earlier)))
                if earlierOffset - offset == earlier { firstOccurrence = false }
            }
            var fires = expression.matches(wall) && firstOccurrence
            if !fires && offset > previousOffset {
                // t ends a gap: wall times [wall - gap, wall) were skipped.
                var skipped = wall.secondsAsUTC - (offset - previousOffset)
                while skipped < wall.secondsAsUTC {
                    if expression.matches(LocalDateTime(secondsAsUTC: skipped)) { fires = true; break }
                    skipped += 60
                }
            }
            if fires { result.append(Date(timeIntervalSince1970: TimeInterval(t))) }
            t += 60
        }
        return result
    }

    @Test func resultsMatchTheirFieldsOverAYearInSaoPaulo() throws {
        let zone = try #require(TimeZone(identifier: "America/Sao_Paulo"))
        for text in ["0 2 1 * *", "0 3 2 * *", "45 21 * * *", "0 2 * * sun", "15 4 10-20/5 3,6,9,12 *"] {
            let schedule = try CronSchedule(text, timeZone: "America/Sao_Paulo")
            let fires = schedule.next(200, after: ISO8601DateFormatter().date(from: "2026-01-01T00:00:00Z")!)
            #expect(!fires.isEmpty)
            for fire in fires {
                let wall = LocalDateTime(secondsAsUTC: Int(fire.timeIntervalSince1970) + zone.secondsFromGMT(for: fire))
                #expect(schedule.expression.matches(wall), "\(text): \(wall)")
            }
        }
    }

    @Test func previousFindsTheLatestFireAtOrBefore() throws {
        let schedule = try CronSchedule("0 22 * * *", timeZone: "Asia/Kolkata")
        let now = ISO8601DateFormatter().date(from: "2026-11-23T10:00:00Z")!
        #expect(schedule.previous(atOrBefore: now) == ISO8601DateFormatter().date(from: "2026-11-22T16:30:00Z"))
        let exact = ISO8601DateFormatter().date(from: "2026-11-22T16:30:00Z")!
        #expect(schedule.previous(atOrBefore: exact) == exact)
    }
}
