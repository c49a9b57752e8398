/// A JSON value, for job argument templates read from a schedules file.
public enum JSONValue: Sendable, Equatable, Codable {
    case string(String), integer(Int), number(Double), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let v): try container.encode(v)
        case .integer(let v): try container.encode(v)
        case .number(let v): try container.encode(v)
        case .bool(let v): try container.encode(v)
        case .null: try container.encodeNil()
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }

    /// Replaces `{name}` placeholders in strings. A string that is exactly one placeholder
    /// whose value is a number becomes that number (`"{year}"` → 2026).
    public func substituting(_ values: [String: JSONValue]) -> JSONValue {
        switch self {
        case .string(let text):
            if text.hasPrefix("{"), text.hasSuffix("}"), let value = values[String(text.dropFirst().dropLast())] {
                return value
            }
            var result = text
            for (name, value) in values {
                let replacement: String
                switch value {
                case .string(let s): replacement = s
                case .integer(let i): replacement = String(i)
                default: continue
                }
                result = result.replacingOccurrences(of: "{\(name)}", with: replacement)
            }
            return .string(result)
        case .array(let items): return .array(items.map { $0.substituting(values) })
        case .object(let fields): return .object(fields.mapValues { $0.substituting(values) })
        default: return self
        }
    }
}
