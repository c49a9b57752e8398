import Foundation
import NightshiftCore

/// Decodes a kind's arguments from the JSON text stored in `jobs.args`, and says which field is
/// wrong when they do not fit: the one check shared by enqueuers (CLI, API, scheduler) and the
/// worker.
enum JobArgsDecoding {
    /// `refusingUnknownFields`: an enqueuer's check, naming a field the kind does not have
    /// (`yaer`) with the fields it has, before the kind's own checks could misread its absence.
    static func decode<Kind: JobKind>(_ kind: Kind.Type, _ json: String, refusingUnknownFields: Bool = false) throws(InvalidInput) -> Kind.Args {
        let args: Kind.Args
        let given = refusingUnknownFields ? (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] : nil
        do {
            args = try JSONDecoder.jobArgs.decode(Kind.Args.self, from: Data(json.utf8))
        } catch {
            // `{"yaer": 2026, "month": 10}` misses `year` because of a typo: name the typo.
            if let given, let known = ArgsFieldNames.completing(Kind.Args.self, given) {
                try refuseUnknown(given, known: known, kind: Kind.kind)
            }
            let (field, reason) = DecodingErrorText.describe(error)
            throw InvalidInput(field: field.map { "args.\($0)" } ?? "args",
                               "args do not decode as \(Kind.kind) arguments: \(reason); fix them and enqueue again")
        }
        if let given, ArgsFieldNames.areChecked(args) { try refuseUnknown(given, known: ArgsFieldNames.of(args), kind: Kind.kind) }
        do {
            try Kind.validate(args)
        } catch {
            throw InvalidInput(field: error.field.map { "args.\($0)" } ?? "args", "args of \(Kind.kind): \(error.message)")
        }
        return args
    }
}

extension JobArgsDecoding {
    static func refuseUnknown(_ given: [String: Any], known: [String], kind: String) throws(InvalidInput) {
        guard let unknown = given.keys.sorted().first(where: { !known.contains($0) }) else { return }
        let takes = known.isEmpty ? "\(kind) takes no arguments: use {}" : "\(kind) takes \(known.joined(separator: ", "))"
        throw InvalidInput(field: "args.\(unknown)", "args has no field '\(unknown)': \(takes)")
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
