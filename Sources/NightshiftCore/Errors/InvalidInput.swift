/// A value a caller gave is wrong: a job's arguments, a request's body, a flag. Names the field.
public struct InvalidInput: NightshiftError, Equatable {
    /// The field at fault, dotted for nested values (`args.month`); nil when it is the whole value.
    public var field: String?
    public var message: String

    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
    public var category: ErrorCategory { .invalidInput(field: field) }

    /// The same problem one level down: `month` inside `args` becomes `args.month`.
    public func nested(in parent: String) -> InvalidInput {
        InvalidInput(field: field.map { "\(parent).\($0)" } ?? parent, message)
    }
}
