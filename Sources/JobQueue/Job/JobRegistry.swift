import Foundation
import NightshiftCore

/// The job kinds a build knows, by name: how to check a kind's arguments before a job is
/// written, and how to run it.
public struct JobRegistry: Sendable {
    struct Entry: Sendable {
        var maxAttempts: Int?
        var timeout: Duration?
        var limit: KindLimit?
        var validate: @Sendable (String) throws(InvalidInput) -> Void
        var run: @Sendable (String, JobContext) async throws -> Void
    }

    private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Adds a kind. Registering a name twice is a programming error and throws at start-up.
    public mutating func register<Kind: JobKind>(_ handler: Kind) throws(JobRegistryError) {
        guard entries[Kind.kind] == nil else { throw JobRegistryError.duplicateKind(Kind.kind) }
        try Kind.limit?.validate(kind: Kind.kind)
        // Most scheduled and health jobs carry `{}`: decode that once per kind, not per job.
        let emptyArgs = try? JobArgsDecoding.decode(Kind.self, "{}")
        entries[Kind.kind] = Entry(
            maxAttempts: Kind.maxAttempts, timeout: Kind.timeout, limit: Kind.limit,
            validate: { json throws(InvalidInput) in _ = try JobArgsDecoding.decode(Kind.self, json, refusingUnknownFields: true) },
            run: { json, context in
                let args: Kind.Args
                do throws(InvalidInput) {
                    if let emptyArgs, json == "{}" { args = emptyArgs } else { args = try JobArgsDecoding.decode(Kind.self, json) }
                } catch {
                    throw JobDiscard(error.message)
                }
                try await handler.run(args, context: context)
            })
    }

    public var kinds: [String] { entries.keys.sorted() }

    /// The kinds that declare a ``KindLimit``: the worker claims them on their own path.
    public var limits: [String: KindLimit] { entries.compactMapValues(\.limit) }

    public func contains(_ kind: String) -> Bool { entries[kind] != nil }

    /// The attempts a kind declares, for enqueuers that were given none.
    public func maxAttempts(for kind: String) -> Int? { entries[kind]?.maxAttempts }

    /// Checks that `kind` is known here and that `args` decode as its arguments, have no field
    /// it does not know, and pass its own checks, so a bad job is refused before it is written
    /// rather than discarded later. (The worker runs what it is given: a field it does not know
    /// may come from a newer enqueuer.)
    public func validate(kind: String, args: String) throws(InvalidInput) {
        guard let entry = entries[kind] else {
            throw InvalidInput(field: "kind", "unknown job kind '\(kind)': this build knows \(kinds.joined(separator: ", "))")
        }
        try entry.validate(args)
    }

    func entry(for kind: String) -> Entry? { entries[kind] }
}

public enum JobRegistryError: NightshiftError, Equatable {
    case duplicateKind(String)
    case invalidLimit(String, String)
    public var description: String {
        switch self {
        case .duplicateKind(let kind): return "job kind '\(kind)' is registered twice: each kind name must be unique"
        case .invalidLimit(let kind, let problem): return "job kind '\(kind)' declares an invalid limit: \(problem)"
        }
    }
    public var category: ErrorCategory { .internalFailure }
}
