/// One field of a cron expression: the set of values it allows, as a bit set.
public struct CronField: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case minute, hour, dayOfMonth = "day-of-month", month, dayOfWeek = "day-of-week"

        var range: ClosedRange<Int> {
            switch self {
            case .minute: return 0...59
            case .hour: return 0...23
            case .dayOfMonth: return 1...31
            case .month: return 1...12
            case .dayOfWeek: return 0...7
            }
        }

        var names: [String: Int] {
            switch self {
            case .month:
                return ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                        "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
            case .dayOfWeek:
                return ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
            default:
                return [:]
            }
        }
    }

    public let kind: Kind
    /// Bit `n` set when value `n` is allowed.
    public let bits: UInt64
    /// The field was written starting with `*` (`*`, `*/5`): for the day-of-month/day-of-week
    /// rule, such a field does not restrict.
    public let isStar: Bool

    public func contains(_ value: Int) -> Bool { bits & (1 << UInt64(value)) != 0 }

    /// Allowed values in increasing order.
    public var values: [Int] { kind.range.filter(contains) }

    public init(parsing text: String, kind: Kind) throws(CronParseError) {
        self.kind = kind
        self.isStar = text.hasPrefix("*")
        var bits: UInt64 = 0
        guard !text.isEmpty else { throw CronParseError(field: kind, text: text, reason: "is empty") }
        for part in text.lowercased().split(separator: ",", omittingEmptySubsequences: false) {
            bits |= try Self.parsePart(String(part), kind: kind, whole: text)
        }
        if kind == .dayOfWeek && bits & (1 << 7) != 0 {
            bits = (bits & ~(1 << 7)) | 1 // 7 is Sunday, like 0
        }
        self.bits = bits
    }

    private static func parsePart(_ part: String, kind: Kind, whole: String) throws(CronParseError) -> UInt64 {
        let range = kind.range
        let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { throw CronParseError(field: kind, text: whole, reason: "has more than one '/' in '\(part)'") }
        var step = 1
        if pieces.count == 2 {
            guard let value = Int(pieces[1]), value >= 1 else {
                throw CronParseError(field: kind, text: whole, reason: "step '\(pieces[1])' must be a whole number of at least 1")
            }
            step = value
        }
        let base = String(pieces[0])
        var low: Int
        var high: Int
        if base == "*" {
            low = range.lowerBound
            high = kind == .dayOfWeek ? 6 : range.upperBound
        } else if let dash = base.firstIndex(of: "-") {
            low = try value(String(base[..<dash]), kind: kind, whole: whole)
            high = try value(String(base[base.index(after: dash)...]), kind: kind, whole: whole)
            guard low <= high else {
                throw CronParseError(field: kind, text: whole, reason: "range '\(base)' runs backwards: write the smaller value first")
            }
        } else {
            low = try value(base, kind: kind, whole: whole)
            // `5/15` means from 5 to the end, every 15.
            high = pieces.count == 2 ? (kind == .dayOfWeek ? 6 : range.upperBound) : low
        }
        var bits: UInt64 = 0
        var v = low
        while v <= high {
            bits |= 1 << UInt64(v)
            v += step
        }
        return bits
    }

    private static func value(_ text: String, kind: Kind, whole: String) throws(CronParseError) -> Int {
        if let named = kind.names[text] { return named }
        guard let number = Int(text) else {
            let hint = kind.names.isEmpty ? "a number" : "a number or a name like \(kind == .month ? "jan" : "mon")"
            throw CronParseError(field: kind, text: whole, reason: "'\(text)' is not \(hint)")
        }
        guard kind.range.contains(number) else {
            throw CronParseError(field: kind, text: whole, reason: "value \(number) is out of range \(kind.range.lowerBound)-\(kind.range.upperBound)")
        }
        return number
    }
}

/// A cron expression that does not parse; says which field and why.
public struct CronParseError: Error, CustomStringConvertible, Equatable, Sendable {
    public var field: CronField.Kind?
    public var text: String
    public var reason: String

    public init(field: CronField.Kind?, text: String, reason: String) {
        self.field = field
        self.text = text
        self.reason = reason
    }

    public var description: String {
        if let field { return "cron \(field.rawValue) field '\(text)' \(reason)" }
        return "cron expression '\(text)' \(reason)"
    }
}
