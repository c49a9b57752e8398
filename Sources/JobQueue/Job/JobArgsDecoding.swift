import Foundation
import NightshiftCore

/// Decodes a kind's arguments from the JSON text stored in `jobs.args`, and says which field is
/// wrong when they do not fit: the one check shared by enqueuers (CLI, API, scheduler) and the
/// worker.
enum JobArgsDecoding {
    static func decode<Kind: JobKind>(_ kind: Kind.Type, _ json: String) throws(InvalidInput) -> Kind.Args {
        let args: Kind.Args
        do {
            args = try JSONDecoder.jobArgs.decode(Kind.Args.self, from: Data(json.utf8))
        } catch {
            let (field, reason) = describe(error)
            throw InvalidInput(field: field.map { "args.\($0)" } ?? "args",
                               "args do not decode as \(Kind.kind) arguments: \(reason); fix them and enqueue again")
        }
        do {
            try Kind.validate(args)
        } catch {
            throw InvalidInput(field: error.field.map { "args.\($0)" } ?? "args", "args of \(Kind.kind): \(error.message)")
        }
        return args
    }

    /// The field at fault (dotted path, nil for the whole value) and the problem in words.
    static func describe(_ error: any Error) -> (field: String?, reason: String) {
        guard let error = error as? DecodingError else { return (nil, "not JSON: \(error)") }
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
            return (path(context), "field '\(path(context) ?? "(root)")': \(context.debugDescription)")
        @unknown default:
            return (nil, "\(error)")
        }
    }
}

extension JSONEncoder {
    static var jobArgs: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    /// Shared: decoding is thread-safe and a decoder per job costs more than the decode.
    static let jobArgs: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
