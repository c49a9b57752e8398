/// PostgreSQL array literals for text-format parameters: `{1,2}`, `{"a","b\"c"}`.
public enum ArrayLiteral {
    /// Written into one string (the worker sends two of these with every claim, an element per job).
    public static func integers<Value: BinaryInteger>(_ values: [Value]) -> String {
        var literal = "{"
        literal.reserveCapacity(2 + values.count * 8)
        for (index, value) in values.enumerated() {
            if index > 0 { literal.append(",") }
            literal.append(String(Int64(value)))
        }
        literal.append("}")
        return literal
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
