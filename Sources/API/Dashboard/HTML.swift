import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NightshiftCore

/// Server-rendered pages: escaping, the layout every page shares, and the headers that keep a
/// page in its own origin (no script runs, nothing loads from elsewhere, no framing).
enum HTML {
    static func escape(_ text: String) -> String { Markup.escape(text) }

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

    /// A whole page: navigation (when signed in), the title, the body.
    static func page(_ title: String, session: DashboardSession?, body: String, refresh: PageRefresh? = nil) -> String {
        let nav = session.map { session in
            """
            <nav><a href="/">Rede de segurança</a> <a href="/ui/jobs">Jobs</a> <a href="/ui/queues">Filas</a> \
            <a href="/ui/schedules">Agendas</a> <a href="/ui/backups">Backups</a> <a href="/ui/extratos">Extratos</a> <a href="/ui/branches">Filiais</a>
            <form method="post" action="/sign-out" class="inline"><input type="hidden" name="csrf" value="\(session.csrf)">\
            <button>Sair (\(escape(session.identity.subject)), \(session.identity.role.rawValue))</button></form></nav>
            """
        } ?? ""
        return """
            <!doctype html>
            <html lang="pt-BR"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">\(refresh?.meta ?? "")
            <title>\(escape(title)) · Nightshift</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:.75rem;color:#222}
            nav{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;border-bottom:1px solid #ddd;padding-bottom:.5rem}
            table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-bottom:1px solid #eee;padding:.3rem;text-align:left;vertical-align:top}
            .net{list-style:none;padding:0}.net li{border-left:.6rem solid #999;padding:.5rem .75rem;margin:.5rem 0;background:#fafafa}
            .green{border-color:#2e7d32!important}.amber{border-color:#f9a825!important}.red{border-color:#c62828!important}
            .status{font-weight:bold;text-transform:uppercase;font-size:.8rem}.todo{display:block;font-family:monospace;font-size:.85rem;margin-top:.25rem}
            pre{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:.5rem}.scroll{overflow-x:auto}td.num{text-align:right}table.facts th{width:12rem}form.inline{display:inline}
            .error{color:#c62828}svg{max-width:100%;height:auto}.refresh{color:#666;font-size:.8rem;margin:.25rem 0}
            .todo,code,td{overflow-wrap:anywhere}input,select,button{max-width:100%}
            @media (max-width:40rem){table{display:block;overflow-x:auto}}
            </style></head><body>
            \(nav)
            \(refresh?.line ?? "")
            <h1>\(escape(title))</h1>
            \(body)
            </body></html>
            """
    }

    /// A form with one button that posts to `action` with the session's CSRF token; nothing
    /// for a viewer, who may not change anything.
    static func button(_ session: DashboardSession, _ action: String, _ label: String) -> String {
        guard session.identity.role >= .operator else { return "" }
        return "<form method=\"post\" action=\"\(action)\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\"><button>\(label)</button></form>"
    }

    /// ``time(_:in:)`` with how long ago (or how soon) beside it: `06/12/2026 13:20 (há 3 min)`.
    static func when(_ date: Date?, in zone: TimeZone, now: Date = Date()) -> String {
        guard let date else { return "—" }
        return "\(time(date, in: zone)) (\(RelativeTime.from(date, now: now)))"
    }

    /// `dd/MM/yyyy HH:mm` in the studio's zone, as people there read times.
    static func time(_ date: Date?, in zone: TimeZone) -> String {
        guard let date else { return "—" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "pt_BR")
        formatter.timeZone = zone
        formatter.dateFormat = "dd/MM/yyyy HH:mm"
        return formatter.string(from: date)
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
