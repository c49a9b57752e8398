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
            let (field, reason) = DecodingErrorText.describe(error)
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
