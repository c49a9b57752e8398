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
        return zone
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
