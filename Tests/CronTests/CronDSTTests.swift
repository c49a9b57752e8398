import Cron
import Foundation
import Testing

/// The daylight-saving rule, on dates whose clock changes are known.
@Suite struct CronDSTTests {
    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func next(_ expression: String, _ zone: String, after: String, count: Int = 1) throws -> [String] {
        let schedule = try CronSchedule(expression, timeZone: zone)
        let formatter = ISO8601DateFormatter()
        return schedule.next(count, after: utc(after)).map { formatter.string(from: $0) }
    }

    @Test func newYorkSpringForwardFiresASkippedTimeAtTheChange() throws {
        // 2026-03-08: 02:00 EST becomes 03:00 EDT; 02:30 does not exist.
        #expect(try next("30 2 * * *", "America/New_York", after: "2026-03-07T12:00:00Z", count: 3)
            == ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"])
    }

    @Test func newYorkFallBackFiresARepeatedTimeOnceAtItsFirstOccurrence() throws {
        // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
        #expect(try next("30 1 * * *", "America/New_York", after: "2026-10-31T12:00:00Z", count: 2)
            == ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])
        // Between the two occurrences, the second is not a new fire.
        #expect(try next("30 1 * * *", "America/New_York", after: "2026-11-01T05:45:00Z") == ["2026-11-02T06:30:00Z"])
    }

    @Test func skippedTimesInOneGapCollapseIntoOneFire() throws {
        #expect(try next("*/20 2 * * *", "America/New_York", after: "2026-03-08T06:00:00Z", count: 2)
            == ["2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z"])
    }

    @Test func londonBothWays() throws {
        // 2026-03-29 01:00 GMT → 02:00 BST; 2026-10-25 02:00 BST → 01:00 GMT.
        #expect(try next("30 1 * * *", "Europe/London", after: "2026-03-28T12:00:00Z", count: 2)
            == ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])
        #expect(try next("30 1 * * *", "Europe/London", after: "2026-10-24T12:00:00Z", count: 2)
            == ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
    }

    @Test func saoPauloHistoricalDaylightSavingAtMidnight() throws {
        // 2018-11-04 00:00 (-03) became 01:00 (-02): midnight did not exist.
        #expect(try next("0 0 * * *", "America/Sao_Paulo", after: "2018-11-03T12:00:00Z", count: 2)
            == ["2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z"])
        // 2019-02-17 00:00 (-02) went back to 23:00 (-03) on the 16th: 23:30 happened twice.
        #expect(try next("30 23 * * *", "America/Sao_Paulo", after: "2019-02-16T12:00:00Z", count: 2)
            == ["2019-02-17T01:30:00Z", "2019-02-18T02:30:00Z"])
        // Today Brazil has no DST: day 1 at 02:00 is always 05:00Z.
        #expect(try next("0 2 1 * *", "America/Sao_Paulo", after: "2026-10-15T00:00:00Z", count: 3)
            == ["2026-11-01T05:00:00Z", "2026-12-01T05:00:00Z", "2027-01-01T05:00:00Z"])
    }

    @Test func halfAndQuarterHourOffsets() throws {
        #expect(try next("45 21 * * *", "Asia/Kolkata", after: "2026-11-22T00:00:00Z") == ["2026-11-22T16:15:00Z"])
        #expect(try next("0 22 * * *", "Asia/Kathmandu", after: "2026-11-22T00:00:00Z") == ["2026-11-22T16:15:00Z"])
        // Lord Howe moves its clocks by 30 minutes: 2026-10-04 02:00 (+10:30) → 02:30 (+11).
        #expect(try next("15 2 * * *", "Australia/Lord_Howe", after: "2026-10-03T00:00:00Z", count: 2)
            == ["2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"])
    }

    @Test func monthEndsAndLeapDays() throws {
        #expect(try next("0 0 29 2 *", "UTC", after: "2025-03-01T00:00:00Z", count: 2)
            == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
        #expect(try next("0 12 31 * *", "UTC", after: "2026-01-31T13:00:00Z", count: 3)
            == ["2026-03-31T12:00:00Z", "2026-05-31T12:00:00Z", "2026-07-31T12:00:00Z"])
        #expect(try next("0 0 30 2 *", "UTC", after: "2026-01-01T00:00:00Z").isEmpty)
    }

    @Test func unknownZoneIsAClearError() {
        #expect { try CronSchedule("0 0 * * *", timeZone: "Mars/Olympus") } throws: { "\($0)".contains("not an IANA time zone") }
    }
}
