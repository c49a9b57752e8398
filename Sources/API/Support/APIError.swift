import Database
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NightshiftCore

/// Every error the API answers: `{"error": code, "message": text a person can act on,
/// "field": name?}`. Typed errors map by their category, never by their text; anything else
/// is a 500 whose message says only to look at the server's log.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public static func invalid(_ field: String?, _ message: String) -> APIError { APIError(.badRequest, "invalid_input", message, field: field) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, "conflict", message) }
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    public static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, "unauthorized", message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    struct Body: Encodable { var error: String; var message: String; var field: String? }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let data = try APIJSON.encoder.encode(Body(error: code, message: message, field: field))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The answer to any error a handler threw.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as InvalidInput: return .invalid(error.field, error.message)
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "body_too_large", "the body is over the limit of \(APIContext.maxBody) bytes")
        case let error as any NightshiftError:
            switch error.category {
            case .invalidInput(let field): return .invalid(field, error.description)
            case .notFound: return .notFound(error.description)
            case .conflict: return .conflict(error.description)
            case .unavailable: return APIError(.serviceUnavailable, "unavailable", error.description)
            case .misconfigured(let setting):
                return APIError(.internalServerError, "misconfigured", "the server is misconfigured\(setting.map { " (\($0))" } ?? ""); see its log")
            case .internalFailure: return internalError
            }
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: return APIError(.contentTooLarge, "body_too_large", "the body is over the limit of \(APIContext.maxBody) bytes")
            case .notFound: return .notFound("no such endpoint: see /openapi.yaml")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", "this endpoint does not take that method: see /openapi.yaml")
            default: return APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
            }
        default:
            if DatabaseErrorMessage.isUnavailable(error) {
                return APIError(.serviceUnavailable, "unavailable", "the database is unavailable; try again shortly")
            }
            // Class 22, data exception: a value the database could not take. Input that got past
            // the checks above, so the caller's to fix; the server's words stay in its log.
            if DatabaseErrorMessage.sqlState(error)?.hasPrefix("22") == true {
                return .invalid(nil, "a value in the request could not be stored (out of range or badly encoded)")
            }
            return internalError
        }
    }

    static let internalError = APIError(.internalServerError, "internal", "the server could not do this; its log has the details")
}
