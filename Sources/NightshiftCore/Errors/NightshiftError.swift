/// An error a caller can act on without reading its text: what went wrong in one word
/// (``category``), the message a person reads, and what to do about it (``remedy``).
///
/// The CLI and the HTTP API decide how to show it: the CLI prints the message and the remedy as
/// a command to run; the API maps the category to a status code and the remedy to a request.
public protocol NightshiftError: Error, CustomStringConvertible, Sendable {
    var category: ErrorCategory { get }
    /// What would fix it, if this layer knows; shown by the CLI or the API in their own words.
    var remedy: Remedy? { get }
}

extension NightshiftError {
    public var remedy: Remedy? { nil }
}

/// The kinds of failure that callers treat differently.
public enum ErrorCategory: Sendable, Equatable {
    /// A value given by the caller is wrong; `field` names it (`month`, `args.year`, `--queues`).
    case invalidInput(field: String?)
    /// The thing asked for does not exist.
    case notFound
    /// The request clashes with the current state (a unique key is held, a backup exists).
    case conflict
    /// Something this process depends on is down or too old (the database, the schema, storage).
    case unavailable
    /// A setting is missing or wrong; `setting` names it (`DATABASE_URL`).
    case misconfigured(setting: String?)
    /// A bug or an unexpected failure.
    case internalFailure
}
