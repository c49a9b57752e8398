import Foundation

/// The job kinds a worker can run, by name.
public struct JobRegistry: Sendable {
    struct Entry: Sendable {
        var timeout: Duration?
        var run: @Sendable (String, JobContext) async throws -> Void
    }

    private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Adds a kind. Registering a name twice is a programming error and throws at start-up.
    public mutating func register<Kind: JobKind>(_ handler: Kind) throws {
        guard entries[Kind.kind] == nil else { throw JobRegistryError.duplicateKind(Kind.kind) }
        // Most scheduled and health jobs carry `{}`: decode that once per kind, not per job.
        let emptyArgs = try? JSONDecoder.jobArgs.decode(Kind.Args.self, from: Data("{}".utf8))
        entries[Kind.kind] = Entry(timeout: Kind.timeout) { argsJSON, context in
            let args: Kind.Args
            do {
                if let emptyArgs, argsJSON == "{}" {
                    args = emptyArgs
                } else {
                    args = try JSONDecoder.jobArgs.decode(Kind.Args.self, from: Data(argsJSON.utf8))
                }
            } catch {
                throw JobDiscard("args do not decode as \(Kind.kind) arguments: \(ArgsDecodingMessage.describe(error)); fix them and enqueue again")
            }
            try await handler.run(args, context: context)
        }
    }

    public var kinds: [String] { entries.keys.sorted() }

    func entry(for kind: String) -> Entry? { entries[kind] }
}

public enum JobRegistryError: Error, CustomStringConvertible, Equatable {
    case duplicateKind(String)
    public var description: String {
        switch self {
        case .duplicateKind(let kind): return "job kind '\(kind)' is registered twice: each kind name must be unique"
        }
    }
}

/// Says which field of the arguments is wrong, in words.
enum ArgsDecodingMessage {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "(root)" : p
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = path(context)
            return "missing field '\(parent == "(root)" ? key.stringValue : parent + "." + key.stringValue)'"
        case let .typeMismatch(type, context):
            return "field '\(path(context))' should be \(type)"
        case let .valueNotFound(type, context):
            return "field '\(path(context))' is null, expected \(type)"
        case let .dataCorrupted(context):
            return "field '\(path(context))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
