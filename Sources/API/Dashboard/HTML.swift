import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Server-rendered pages over HTTP: the headers that keep a page in its own origin (no script
/// runs, nothing loads from elsewhere, no framing), redirects and form bodies. The markup is
/// in the templates (``DashboardTemplates``).
enum HTML {
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .cacheControl: "no-store",
    ]

    static func response(_ html: String, status: HTTPResponse.Status = .ok, extra: HTTPFields = [:]) -> Response {
        var fields = headers
        fields.append(contentsOf: extra)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String, extra: HTTPFields = [:]) -> Response {
        var fields: HTTPFields = [.location: location, .cacheControl: "no-store"]
        fields.append(contentsOf: extra)
        return Response(status: .seeOther, headers: fields)
    }

    /// `application/x-www-form-urlencoded` fields.
    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
            guard let name = parts.first?.removingPercentEncoding else { continue }
            fields[name] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? "") : ""
        }
        return fields
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
