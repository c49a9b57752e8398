import Foundation
import Hummingbird
import NightshiftCore

/// Reading requests strictly: a JSON body of a known shape, query values of known kinds, each
/// refusal naming its field.
enum Input {
    /// The body as `T`. Refuses a body that is not JSON (415), too large (413) or that does not
    /// decode (400 naming the field). An empty body decodes as `{}` when `T` allows it.
    static func body<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        if buffer.readableBytes > 0 {
            let contentType = request.headers[.contentType]?.lowercased() ?? ""
            guard contentType.hasPrefix("application/json") else {
                throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the body as Content-Type: application/json")
            }
        }
        let data = buffer.readableBytes > 0 ? Data(buffer.readableBytesView) : Data("{}".utf8)
        do {
            return try APIJSON.decoder.decode(T.self, from: data)
        } catch {
            let (field, reason) = DecodingErrorText.describe(error)
            throw APIError.invalid(field, "the body does not fit: \(reason)")
        }
    }

    /// A query value. A NUL character is refused: no column can hold it.
    static func query(_ request: Request, _ name: String) throws -> String? {
        guard let value = request.uri.queryParameters[name[...]].map(String.init) else { return nil }
        guard !value.utf8.contains(0) else { throw APIError.invalid(name, "\(name) must not contain a NUL character") }
        return value
    }

    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = try query(request, name) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.invalid(name, "\(name) must be a whole number in \(range.lowerBound)…\(range.upperBound), got '\(text)'")
        }
        return value
    }

    static func time(_ request: Request, _ name: String) throws -> Date? {
        guard let text = try query(request, name) else { return nil }
        guard let date = ISO8601.parse(text) else { throw APIError.invalid(name, "\(name) must be an ISO 8601 time like 2026-11-01T00:00:00Z, got '\(text)'") }
        return date
    }

    static func parameter(_ context: APIContext, _ name: String) throws -> Int64 {
        guard let text = context.parameters.get(name), let value = Int64(text), value > 0 else {
            throw APIError.invalid(name, "\(name) must be a positive whole number")
        }
        return value
    }
}

/// A JSON response of an `Encodable` value.
enum Reply {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try APIJSON.encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
