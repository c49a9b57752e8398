/// PostgreSQL array literals for text-format parameters: `{1,2}`, `{"a","b\"c"}`.
public enum ArrayLiteral {
    public static func integers<Value: BinaryInteger>(_ values: [Value]) -> String {
        "{" + values.map { String($0) }.joined(separator: ",") + "}"
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
