import Synchronization

/// The API's paths and their methods, to tell "no such path" (404) from "not that method" (405).
final class KnownPaths: Sendable {
    private let entries = Mutex<[(segments: [Substring], method: String)]>([])

    func set(_ routes: [RouteTable.Entry]) {
        entries.withLock { $0 = routes.map { ($0.path.split(separator: "/"), $0.method) } }
    }

    /// The methods a concrete path takes, sorted. `{name}` segments match anything, but a
    /// literal segment wins, as in the router: `/api/jobs/retry` is not `/api/jobs/{id}`.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        return entries.withLock { entries in
            let matching = entries.filter { entry in
                entry.segments.count == segments.count
                    && zip(entry.segments, segments).allSatisfy { pattern, value in pattern.hasPrefix("{") || pattern == value }
            }
            let literals = { (entry: (segments: [Substring], method: String)) in entry.segments.filter { !$0.hasPrefix("{") }.count }
            let best = matching.map(literals).max() ?? 0
            return Set(matching.filter { literals($0) == best }.map(\.method)).sorted()
        }
    }
}
