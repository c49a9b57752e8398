import Foundation
import Hummingbird

/// Pages show live state, so they reload themselves — a `<meta http-equiv="refresh">`, no
/// script — every ``interval`` seconds and say when they were read; `?refresh=off` in the
/// address stops it (the page's own link), and the link without it starts it again.
struct PageRefresh {
    static let interval = 30

    /// The page's address without `refresh`, to build the stop and resume links from.
    let address: String
    let isOn: Bool
    let readAt: Date
    let zone: TimeZone

    init(path: String, query: String?, zone: TimeZone, readAt: Date = Date()) {
        let parts = (query ?? "").split(separator: "&").map(String.init)
        isOn = !parts.contains("refresh=off")
        let kept = parts.filter { !$0.hasPrefix("refresh=") }
        address = kept.isEmpty ? path : path + "?" + kept.joined(separator: "&")
        self.readAt = readAt
        self.zone = zone
    }

    init(_ request: Request, zone: TimeZone) {
        self.init(path: request.uri.path, query: request.uri.query, zone: zone)
    }

    /// For the page's head.
    var meta: String { isOn ? "<meta http-equiv=\"refresh\" content=\"\(Self.interval)\">" : "" }

    /// The line under the navigation: when the page was read, and how to stop or resume.
    var line: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "pt_BR")
        formatter.timeZone = zone
        formatter.dateFormat = "HH:mm:ss"
        let read = "Lida às \(formatter.string(from: readAt))"
        let separator = address.contains("?") ? "&" : "?"
        if isOn {
            return "<p class=\"refresh\">\(read) · atualiza a cada \(Self.interval) s · "
                + "<a href=\"\(HTML.escape(address + separator + "refresh=off"))\">parar</a></p>"
        }
        return "<p class=\"refresh\">\(read) · atualização parada · <a href=\"\(HTML.escape(address))\">retomar</a></p>"
    }
}
