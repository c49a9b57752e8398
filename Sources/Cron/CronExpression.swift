/// A standard five-field cron expression: minute hour day-of-month month day-of-week.
///
/// Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month names
/// (`jan`…) and weekday names (`sun`…; 0 and 7 are Sunday). When both day-of-month and
/// day-of-week are restricted (neither starts with `*`), a day matches if either matches, as in
/// Vixie cron. Aliases: `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily`
/// (`@midnight`), `@hourly`.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let minute: CronField
    public let hour: CronField
    public let dayOfMonth: CronField
    public let month: CronField
    public let dayOfWeek: CronField
    public let description: String

    static let aliases: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    public init(_ text: String) throws(CronParseError) {
        let trimmed = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        let expanded: String
        if trimmed.hasPrefix("@") {
            guard let alias = Self.aliases[trimmed.lowercased()] else {
                throw CronParseError(field: nil, text: text, reason: "is not a known alias: use @yearly, @monthly, @weekly, @daily or @hourly")
            }
            expanded = alias
        } else {
            expanded = trimmed
        }
        let fields = expanded.split(separator: " ").map(String.init)
        guard fields.count == 5 else {
            throw CronParseError(field: nil, text: text, reason: "has \(fields.count) fields: write five, minute hour day-of-month month day-of-week, e.g. '0 2 1 * *'")
        }
        minute = try CronField(parsing: fields[0], kind: .minute)
        hour = try CronField(parsing: fields[1], kind: .hour)
        dayOfMonth = try CronField(parsing: fields[2], kind: .dayOfMonth)
        month = try CronField(parsing: fields[3], kind: .month)
        dayOfWeek = try CronField(parsing: fields[4], kind: .dayOfWeek)
        description = trimmed
    }

    /// Whether a calendar day matches, by the day-of-month/day-of-week rule.
    public func matchesDay(_ date: LocalDate) -> Bool {
        guard month.contains(date.month) else { return false }
        let domMatch = dayOfMonth.contains(date.day)
        let dowMatch = dayOfWeek.contains(date.weekday)
        if !dayOfMonth.isStar && !dayOfWeek.isStar { return domMatch || dowMatch }
        return domMatch && dowMatch
    }

    /// Whether a wall-clock time matches every field.
    public func matches(_ time: LocalDateTime) -> Bool {
        matchesDay(time.date) && hour.contains(time.hour) && minute.contains(time.minute)
    }
}
