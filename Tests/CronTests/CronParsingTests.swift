import Cron
import Testing

@Suite struct CronParsingTests {
    @Test func parsesListsRangesStepsAndNames() throws {
        let e = try CronExpression("5,35 9-17/2 1-7 jan,jul-sep mon-fri")
        #expect(e.minute.values == [5, 35])
        #expect(e.hour.values == [9, 11, 13, 15, 17])
        #expect(e.dayOfMonth.values == Array(1...7))
        #expect(e.month.values == [1, 7, 8, 9])
        #expect(e.dayOfWeek.values == [1, 2, 3, 4, 5])
    }

    @Test func sevenIsSundayAndStepsFromAValueRunToTheEnd() throws {
        #expect(try CronExpression("0 0 * * 7").dayOfWeek.values == [0])
        #expect(try CronExpression("0 0 * * 5-7").dayOfWeek.values == [0, 5, 6])
        #expect(try CronExpression("10/20 * * * *").minute.values == [10, 30, 50])
        #expect(try CronExpression("*/25 * * * *").minute.values == [0, 25, 50])
    }

    @Test(arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@hourly", "0 * * * *"),
    ])
    func aliasesExpand(alias: String, expansion: String) throws {
        let a = try CronExpression(alias)
        let b = try CronExpression(expansion)
        #expect(a.minute == b.minute && a.hour == b.hour && a.dayOfMonth == b.dayOfMonth && a.month == b.month && a.dayOfWeek == b.dayOfWeek)
    }

    @Test(arguments: [
        ("0 0 * *", "has 4 fields"),
        ("60 * * * *", "minute field '60' value 60 is out of range 0-59"),
        ("0 24 * * *", "hour field '24' value 24 is out of range 0-23"),
        ("0 0 0 * *", "day-of-month field '0' value 0 is out of range 1-31"),
        ("0 0 * 13 *", "month field '13'"),
        ("0 0 * * 8", "day-of-week field '8'"),
        ("*/0 * * * *", "step '0' must be a whole number of at least 1"),
        ("0 0 * foo *", "'foo' is not a number or a name like jan"),
        ("0 5-1 * * *", "runs backwards"),
        ("@fortnightly", "is not a known alias"),
        ("0 0 1,,2 * *", "is not a number"),
    ])
    func badExpressionsSayWhichFieldAndWhy(text: String, message: String) {
        #expect {
            try CronExpression(text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothAreRestricted() throws {
        let either = try CronExpression("0 0 13 * 5") // the 13th, or any Friday
        #expect(either.matchesDay(LocalDate(year: 2026, month: 11, day: 13))) // a Friday the 13th
        #expect(either.matchesDay(LocalDate(year: 2026, month: 11, day: 20))) // a Friday
        #expect(either.matchesDay(LocalDate(year: 2026, month: 12, day: 13))) // a Sunday the 13th
        #expect(!either.matchesDay(LocalDate(year: 2026, month: 11, day: 19)))
        let both = try CronExpression("0 0 */2 * 5") // `*/2` starts with `*`: both must match
        #expect(both.matchesDay(LocalDate(year: 2026, month: 11, day: 27)))
        #expect(!both.matchesDay(LocalDate(year: 2026, month: 11, day: 20)))
    }

    @Test func calendarArithmeticAgreesWithKnownDates() {
        #expect(LocalDate(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        #expect(LocalDate(year: 2000, month: 3, day: 1).daysSinceEpoch == 11_017)
        #expect(LocalDate(year: 2026, month: 11, day: 23).weekday == 1) // a Monday
        #expect(LocalDate(year: 2024, month: 2, day: 29).adding(days: 1) == LocalDate(year: 2024, month: 3, day: 1))
        #expect(LocalDate(year: 2100, month: 2, day: 28).adding(days: 1) == LocalDate(year: 2100, month: 3, day: 1))
        for days in stride(from: -800_000, to: 800_000, by: 997) {
            #expect(LocalDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
    }
}
