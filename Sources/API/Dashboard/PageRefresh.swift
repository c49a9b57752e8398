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

    init(path: String, query: String?, readAt: Date = Date()) {
        let parts = (query ?? "").split(separator: "&").map(String.init)
        isOn = !parts.contains("refresh=off")
        let kept = parts.filter { !$0.hasPrefix("refresh=") }
        address = kept.isEmpty ? path : path + "?" + kept.joined(separator: "&")
        self.readAt = readAt
    }

    init(_ request: Request) {
        self.init(path: request.uri.path, query: request.uri.query)
    }

    /// The line under the navigation, as the layout shows it: when the page was read, and the
    /// link that stops or resumes the refresh; `on` also puts the `<meta>` in the page's head.
    struct Line {
        var on: Bool
        var interval: Int
        var text: String
        var href: String
        var link: String
    }

    func line(_ format: PageFormat) -> Line {
        let t = format.catalog
        let read = format.clock(readAt)
        let separator = address.contains("?") ? "&" : "?"
        if isOn {
            return Line(on: true, interval: Self.interval, text: t("refresh_on", ["time": read, "seconds": Self.interval]),
                        href: address + separator + "refresh=off", link: t["refresh_stop"])
        }
        return Line(on: false, interval: Self.interval, text: t("refresh_off", ["time": read]), href: address, link: t["refresh_resume"])
    }
}
