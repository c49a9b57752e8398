import Foundation

/// Money exactly: from integer centavos, or from a `numeric(12,2)` as PostgreSQL writes it
/// (`105699.50`), never through a floating point. The separators are the page language's
/// (``PageFormat/money(minor:currency:)``); the defaults write `R$ 1.234,56`.
enum MoneyText {
    static func text(minor: Int64, currency: String = "BRL", group: String = ".", decimal: String = ",") -> String {
        let sign = minor < 0 ? "-" : ""
        let units = minor.magnitude / 100, cents = minor.magnitude % 100
        let symbol = currency == "BRL" ? "R$" : currency
        return "\(sign)\(symbol) \(grouped(String(units), by: group))\(decimal)\(cents < 10 ? "0" : "")\(cents)"
    }

    /// A decimal's text (`-12.5`, `105699.50`) as money; the text itself when it is not one.
    static func text(numeric: String, currency: String = "BRL", group: String = ".", decimal: String = ",") -> String {
        guard let minor = minorUnits(numeric) else { return numeric }
        return text(minor: minor, currency: currency, group: group, decimal: decimal)
    }

    /// Digits in groups of three from the right: `1234567` → `1.234.567`.
    static func grouped(_ digits: String, by separator: String) -> String {
        var digits = Substring(digits), grouped = ""
        while digits.count > 3 {
            grouped = separator + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        return digits + grouped
    }

    static func minorUnits(_ numeric: String) -> Int64? {
        var text = Substring(numeric.trimmingCharacters(in: .whitespaces))
        let negative = text.hasPrefix("-")
        if negative || text.hasPrefix("+") { text = text.dropFirst() }
        guard text.contains(where: \.isNumber) else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let units = Int64(parts[0].isEmpty ? "0" : parts[0]), parts[0].allSatisfy(\.isNumber) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 2, fraction.allSatisfy(\.isNumber) else { return nil }
        fraction += String(repeating: "0", count: 2 - fraction.count)
        let (scaled, overflow) = units.multipliedReportingOverflow(by: 100)
        guard !overflow, let cents = Int64(fraction) else { return nil }
        return (negative ? -1 : 1) * (scaled + cents)
    }
}
