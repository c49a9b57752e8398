import Foundation
import JobQueue
import NightshiftCore

/// How a page writes values, in its language and the studio's zone: times (`06/12/2026 13:20
/// (há 3 min)`), money (`R$ 1.234,56`), counts (`1.500`), sizes (the CLI's units) and job
/// states. Every page formats through one of these, so one value reads the same everywhere.
struct PageFormat: Sendable {
    let catalog: Catalog
    let zone: TimeZone
    let now: Date
    /// Made once per page, not per value: a page of 50 jobs writes 100 times.
    private let timeFormatter: DateFormatter
    private let dayFormatter: DateFormatter

    init(catalog: Catalog, zone: TimeZone, now: Date = Date()) {
        self.catalog = catalog
        self.zone = zone
        self.now = now
        timeFormatter = Self.pattern(catalog["time_format"], zone)
        dayFormatter = Self.pattern(catalog["day_format"], zone)
    }

    /// The same format in another zone (a schedule's own).
    func `in`(_ zone: TimeZone) -> PageFormat { PageFormat(catalog: catalog, zone: zone, now: now) }

    // MARK: Times

    /// The date and minute as people there write it (`time_format` in the catalog).
    func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return timeFormatter.string(from: date)
    }

    /// The day alone (`day_format`: `06/12`), for a chart's labels.
    func day(_ date: Date) -> String { dayFormatter.string(from: date) }

    /// The hour alone (`13h`), for an hourly chart's labels.
    func hour(_ date: Date) -> String { Self.pattern("HH'h'", zone).string(from: date) }

    /// `HH:mm:ss`, for when a page was read.
    func clock(_ date: Date) -> String { Self.pattern("HH:mm:ss", zone).string(from: date) }

    /// ``time(_:)`` with how long ago, or how soon, beside it: `06/12/2026 13:20 (há 3 min)`.
    func when(_ date: Date?) -> String {
        guard let date else { return "—" }
        return "\(time(date)) (\(relative(date)))"
    }

    /// "há 12 min" for a time past, "em 12 min" for one to come, "agora" within a minute.
    func relative(_ date: Date) -> String {
        let seconds = date.timeIntervalSince(now)
        guard seconds >= 60 else { return ago(date) }
        return catalog(Self.unit(seconds, "rel_in"), ["n": Self.amount(seconds)])
    }

    func ago(_ date: Date) -> String {
        let seconds = max(0, now.timeIntervalSince(date))
        guard seconds >= 60 else { return catalog["rel_now"] }
        return catalog(Self.unit(seconds, "rel_ago"), ["n": Self.amount(seconds)])
    }

    private static func unit(_ seconds: Double, _ prefix: String) -> String {
        seconds < 3600 ? "\(prefix)_minutes" : seconds < 48 * 3600 ? "\(prefix)_hours" : "\(prefix)_days"
    }

    private static func amount(_ seconds: Double) -> Int {
        seconds < 3600 ? Int(seconds / 60) : seconds < 48 * 3600 ? Int(seconds / 3600) : Int(seconds / 86_400)
    }

    private static func pattern(_ format: String, _ zone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = format
        return formatter
    }

    // MARK: Numbers

    /// Digits grouped by thousands with the language's separator: `1.500` or `1,500`.
    func count(_ value: some BinaryInteger) -> String {
        MoneyText.grouped(String(value.magnitude), by: catalog["number_group"]).withSign(value < 0)
    }

    /// `R$ 1.234,56` from integer centavos, exactly.
    func money(minor: Int64, currency: String = "BRL") -> String {
        MoneyText.text(minor: minor, currency: currency, group: catalog["number_group"], decimal: catalog["number_decimal"])
    }

    /// The same from a `numeric` as PostgreSQL writes it (`105699.50`); the text itself when it
    /// is not a decimal.
    func money(numeric: String, currency: String = "BRL") -> String {
        MoneyText.text(numeric: numeric, currency: currency, group: catalog["number_group"], decimal: catalog["number_decimal"])
    }

    /// A size in the CLI's units with the language's decimal mark (`63,7 KB` in pt-BR), so the
    /// page and `backups list` agree on the unit.
    func size(_ bytes: Int64?) -> String {
        bytes.map { ByteCount.text($0).replacingOccurrences(of: ".", with: catalog["number_decimal"]) } ?? "—"
    }

    /// A fraction as a whole percentage: `42 %`.
    func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded())) %" }

    /// A fractional number (seconds, megabytes) with the language's decimal mark and thousands
    /// grouped: `0,125`, `165.495,0`.
    func decimal(_ value: Double, digits: Int) -> String {
        let text = String(format: "%.\(digits)f", abs(value))
        let parts = text.split(separator: ".", maxSplits: 1)
        let whole = MoneyText.grouped(String(parts[0]), by: catalog["number_group"])
        let number = parts.count > 1 ? whole + catalog["number_decimal"] + parts[1] : whole
        return value < 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "-" + number : number
    }

    // MARK: Words

    /// A job state as the page's language names it; the raw name stays in `data-state`.
    func state(_ state: JobState) -> String { catalog["state_\(state.rawValue)"] }
}

private extension String {
    func withSign(_ negative: Bool) -> String { negative ? "-" + self : self }
}
