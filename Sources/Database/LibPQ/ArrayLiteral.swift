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
