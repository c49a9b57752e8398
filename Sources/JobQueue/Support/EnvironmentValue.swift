/// Parses settings read from the environment, with errors that name the variable.
public enum EnvironmentValue {
    /// `true/false`, `1/0`, `yes/no`, `on/off`; unset or empty gives `fallback`.
    public static func bool(_ name: String, in environment: [String: String], default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let raw = environment[name], !raw.isEmpty else { return fallback }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError("\(name)=\(raw) is not a boolean: use true or false")
        }
    }
}

import Foundation

extension EnvironmentValue {
    /// An IANA zone name; unset or empty gives `fallback`.
    public static func timeZone(_ name: String, in environment: [String: String], default fallback: String) throws(ConfigurationError) -> TimeZone {
        let identifier = environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
        guard let zone = TimeZone(identifier: identifier) else {
            throw ConfigurationError("\(name)=\(identifier) is not an IANA time zone: use a name like America/Sao_Paulo, Asia/Kolkata or UTC")
        }
        return zone
    }
}
