/// A `DecodingError` in words, with the path of the field at fault: the one place job
/// arguments (JobQueue), request bodies (API) and files say which field is wrong.
public enum DecodingErrorText {
    /// The field at fault (dotted, `[n]` for array elements; nil for the whole value) and the
    /// problem.
    public static func describe(_ error: any Error) -> (field: String?, reason: String) {
        guard let error = error as? DecodingError else { return (nil, "not valid JSON") }
        func path(_ context: DecodingError.Context, appending key: (any CodingKey)? = nil) -> String? {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? nil : text
        }
        switch error {
        case let .keyNotFound(key, context):
            let field = path(context, appending: key)
            return (field, "missing field '\(field ?? key.stringValue)'")
        case let .typeMismatch(type, context):
            return (path(context), "field '\(path(context) ?? "(root)")' should be \(type)")
        case let .valueNotFound(type, context):
            return (path(context), "field '\(path(context) ?? "(root)")' is null, expected \(type)")
        case let .dataCorrupted(context):
            let field = path(context)
            return (field, field == nil ? "not valid JSON" : "field '\(field!)': \(context.debugDescription)")
        @unknown default:
            return (nil, "\(error)")
        }
    }
}
