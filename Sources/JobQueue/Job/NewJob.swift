import Foundation
import NightshiftCore

/// A job to enqueue.
public struct NewJob: Sendable {
    public var kind: String
    /// Arguments as JSON text (an object).
    public var args: String
    public var queue: String
    public var priority: Int
    /// When to run; nil or past means now.
    public var runAt: Date?
    /// Makes the enqueue idempotent: see ``JobStore/enqueue(_:on:)``.
    public var uniqueKey: String?
    public var maxAttempts: Int
    /// Jobs this one waits for: it stays `pending`, out of the claim path, until every one has
    /// succeeded, and becomes available in the transaction that completes the last. They must
    /// exist when this job is enqueued (so no cycle can form).
    public var dependsOn: [JobDependency] = []
    /// What a dependency that is discarded or cancelled does to this job.
    public var onDependencyFailure: JobDependency.OnFailure = .cancel

    public static let defaultQueue = "default"
    public static let defaultMaxAttempts = 20

    public init(
        kind: String, args: String = "{}", queue: String = NewJob.defaultQueue, priority: Int = 0,
        runAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int = NewJob.defaultMaxAttempts
    ) {
        self.kind = kind
        self.args = args
        self.queue = queue
        self.priority = priority
        self.runAt = runAt
        self.uniqueKey = uniqueKey
        self.maxAttempts = maxAttempts
    }

    /// A job of a typed kind, its arguments encoded as JSON.
    public init<Kind: JobKind>(
        _ kind: Kind.Type, args: Kind.Args, queue: String = NewJob.defaultQueue, priority: Int = 0,
        runAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int? = nil
    ) throws {
        let data = try JSONEncoder.jobArgs.encode(args)
        self.init(
            kind: Kind.kind, args: String(decoding: data, as: UTF8.self), queue: queue, priority: priority,
            runAt: runAt, uniqueKey: uniqueKey, maxAttempts: maxAttempts ?? Kind.maxAttempts ?? NewJob.defaultMaxAttempts)
    }

    /// Checks what the database would refuse, naming the field.
    public func validate() throws(InvalidInput) {
        // PostgreSQL stores no NUL character in text, nor `\u0000` in jsonb.
        for (field, value) in [("kind", kind), ("queue", queue), ("unique_key", uniqueKey ?? "")] where value.utf8.contains(0) {
            throw InvalidInput(field: field, "\(field) must not contain a NUL character")
        }
        if args.contains("\\u0000") || args.utf8.contains(0) {
            throw InvalidInput(field: "args", "args must not contain a NUL character (\\u0000): PostgreSQL cannot store one")
        }
        // Counted as PostgreSQL's length() and JSON Schema's maxLength count: code points.
        try JobLimits.checkName(kind, field: "kind")
        try JobLimits.checkName(queue, field: "queue")
        guard (-32768...32767).contains(priority) else {
            throw InvalidInput(field: "priority", "priority \(priority) is out of range: use -32768…32767 (lower runs first)")
        }
        guard maxAttempts >= 1 else { throw InvalidInput(field: "max_attempts", "max attempts must be at least 1, got \(maxAttempts)") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(args.utf8), options: [.fragmentsAllowed])
        } catch {
            let position = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String).map { ": \($0)" } ?? ""
            throw InvalidInput(field: "args", "args is not valid JSON\(position); write an object like '{\"year\": 2026, \"month\": 10}'")
        }
        guard object is [String: Any] else {
            throw InvalidInput(field: "args", "args must be a JSON object (in braces), like '{\"year\": 2026, \"month\": 10}'")
        }
        if let uniqueKey, uniqueKey.isEmpty { throw InvalidInput(field: "unique_key", "unique key must not be empty") }
        guard dependsOn.count <= 100 else {
            throw InvalidInput(field: "depends_on", "a job can wait for at most 100 jobs, got \(dependsOn.count)")
        }
        for dependency in dependsOn {
            switch dependency {
            case .id(let id) where id < 1: throw InvalidInput(field: "depends_on", "depends_on id must be a job id (1 or more), got \(id)")
            case .uniqueKey(let key) where key.isEmpty || key.utf8.contains(0):
                throw InvalidInput(field: "depends_on", "a depends_on unique key must not be empty nor contain a NUL character")
            default: break
            }
        }
    }
}
