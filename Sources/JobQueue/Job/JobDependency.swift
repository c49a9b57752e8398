/// A job another job waits for, named by id or by unique key (the job that holds the key: its
/// live holder, else the newest job that had it).
public enum JobDependency: Sendable, Hashable, CustomStringConvertible {
    case id(Int64)
    case uniqueKey(String)

    /// What the waiting job does when this dependency is discarded or cancelled.
    public enum OnFailure: String, Sendable, Codable, CaseIterable {
        /// It is cancelled, with the dependency's reason (the default).
        case cancel
        /// It runs anyway, once every dependency has finished.
        case run
    }

    /// `123` is an id; anything else a unique key (`backup-month:2026-10`).
    public init(parsing text: String) {
        if let id = Int64(text), id > 0 { self = .id(id) } else { self = .uniqueKey(text) }
    }

    public var description: String {
        switch self {
        case .id(let id): "job \(id)"
        case .uniqueKey(let key): "the job with unique key '\(key)'"
        }
    }
}
