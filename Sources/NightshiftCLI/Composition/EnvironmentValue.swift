import Foundation
import NightshiftCore

/// Parses one environment variable, with errors that name it. Used only by
/// ``Settings/init(environment:)``.
struct EnvironmentValue {
    let environment: [String: String]

    /// The value, or nil when unset or empty.
    func text(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// `true/false`, `1/0`, `yes/no`, `on/off`; unset or empty gives `fallback`.
    func bool(_ name: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let raw = text(name) else { return fallback }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError("\(name)=\(raw) is not a boolean: use true or false", setting: name)
        }
    }

    /// An IANA zone name; unset or empty gives `fallback`.
    func timeZone(_ name: String, default fallback: TimeZone) throws(ConfigurationError) -> TimeZone {
        guard let identifier = text(name) else { return fallback }
        guard let zone = TimeZone(identifier: identifier) else {
            throw ConfigurationError("\(name)=\(identifier) is not an IANA time zone: use a name like America/Sao_Paulo, Asia/Kolkata or UTC", setting: name)
        }
        // Foundation reads `GMT-0300`, `UTC-3` and the like as fixed offsets; PostgreSQL, which
        // computes month boundaries in this zone (month_close_gaps: the home page, the gauges,
        // the alerts), rejects them (break-close 13). tzdata's own fixed zones work in both.
        if Self.isOffsetName(identifier) || Self.isOffsetName(zone.identifier) {
            let hours = zone.secondsFromGMT() / 3600, whole = zone.secondsFromGMT() % 3600 == 0
            let fixed = whole ? ", or Etc/GMT\(hours <= 0 ? "+" : "-")\(abs(hours)) for a fixed offset of \(hours <= 0 ? "-" : "+")\(abs(hours)) h (tzdata's sign is inverted)" : ""
            throw ConfigurationError("\(name)=\(identifier) is an offset PostgreSQL does not accept as a time zone: use a region name like America/Sao_Paulo\(fixed)", setting: name)
        }
        return zone
    }

    /// `GMT-0300`, `UTC+5:30`, `gmt-3`: an offset after GMT or UTC, not a tzdata zone name.
    static func isOffsetName(_ identifier: String) -> Bool {
        let upper = identifier.uppercased()
        return ["GMT+", "GMT-", "UTC+", "UTC-"].contains { upper.hasPrefix($0) }
    }

    /// A whole number in `range`; unset or empty gives `fallback`.
    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let raw = text(name) else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw ConfigurationError("\(name)=\(raw) is not a whole number in \(range.lowerBound)…\(range.upperBound)", setting: name)
        }
        return value
    }
}
