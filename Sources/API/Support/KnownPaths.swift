import Synchronization

/// The API's paths and their methods, to tell "no such path" (404) from "not that method" (405).
final class KnownPaths: Sendable {
    private let entries = Mutex<[(segments: [Substring], method: String)]>([])

    func set(_ routes: [RouteTable.Entry]) {
        entries.withLock { $0 = routes.map { ($0.path.split(separator: "/"), $0.method) } }
    }

    /// The methods a concrete path takes (`{name}` segments match anything), sorted.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        return entries.withLock { entries in
            Set(entries.filter { entry in
                entry.segments.count == segments.count
                    && zip(entry.segments, segments).allSatisfy { pattern, value in pattern.hasPrefix("{") || pattern == value }
            }.map(\.method)).sorted()
        }
    }
}
