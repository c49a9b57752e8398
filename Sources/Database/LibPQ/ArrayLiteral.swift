/// PostgreSQL array literals for text-format parameters: `{1,2}`, `{"a","b\"c"}`.
public enum ArrayLiteral {
    /// Written into one string (the worker sends two of these with every claim, an element per
    /// job): digits straight into one buffer, no string per element and nothing generic left
    /// for the runtime to resolve per call (a generic version cost the worker about 5 % of its
    /// CPU per job, most of it looking up metadata).
    public static func integers(_ values: [Int64]) -> String {
        // 20 bytes hold any Int64 with its sign; one more for each comma and the braces.
        String(unsafeUninitializedCapacity: 2 + values.count * 21) { buffer in
            var end = 0
            buffer[end] = UInt8(ascii: "{"); end += 1
            for (index, value) in values.enumerated() {
                if index > 0 { buffer[end] = UInt8(ascii: ","); end += 1 }
                end = writeDecimal(value, into: buffer, at: end)
            }
            buffer[end] = UInt8(ascii: "}"); end += 1
            return end
        }
    }

    public static func integers(_ values: [Int]) -> String {
        integers(values.map { Int64($0) })
    }

    /// Writes `value` in decimal at `start`; returns the index after its last digit.
    private static func writeDecimal(_ value: Int64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var end = start
        if value < 0 { buffer[end] = UInt8(ascii: "-"); end += 1 }
        // The magnitude as unsigned, so Int64.min has one too.
        var rest = value.magnitude
        var digits = 1
        var probe = rest / 10
        while probe > 0 { digits += 1; probe /= 10 }
        // Written from the last digit back.
        var position = end + digits - 1
        repeat {
            buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            position -= 1
        } while rest > 0
        return end + digits
    }

    /// Every element quoted, with `"` and `\` escaped, so commas, braces and spaces survive.
    public static func text(_ values: [String]) -> String {
        "{" + values.map { value in
            var quoted = "\""
            for character in value {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            return quoted + "\""
        }.joined(separator: ",") + "}"
    }
}

extension ArrayLiteral {
    /// A `text[]` written into a statement's text rather than bound: `ARRAY['a', 'it''s']::text[]`.
    /// Each element is a string constant with `'` doubled, and, where it holds a backslash, an
    /// escape-string constant (`E'…'`) with `\` doubled, so it reads the same whatever
    /// `standard_conforming_strings` says.
    public static func textConstant(_ values: [String]) -> String {
        guard !values.isEmpty else { return "'{}'::text[]" }
        return "ARRAY[" + values.map { value in
            var quoted = value.contains("\\") ? "E'" : "'"
            for character in value {
                if character == "'" || character == "\\" { quoted.append(character) }
                quoted.append(character)
            }
            return quoted + "'"
        }.joined(separator: ", ") + "]::text[]"
    }
}
