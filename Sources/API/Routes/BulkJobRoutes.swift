import Foundation
import Hummingbird
import JobQueue
import NightshiftCore

/// `POST /api/jobs/retry` and `POST /api/jobs/cancel`: every job a filter matches, 1,000 per
/// transaction (operator role). `dry_run` answers how many match and the first of them.
struct BulkJobRoutes {
    let dependencies: APIDependencies

    struct Request: Decodable {
        var state: [String]?
        var kind: [String]?
        var queue: [String]?
        var since: Date?
        var dryRun: Bool?
        var attempts: Int?
        enum CodingKeys: String, CodingKey { case state, kind, queue, since, dryRun = "dry_run", attempts }
    }

    struct Outcome: Encodable {
        var matched: Int
        var changed: Int
        var dryRun: Bool
        var sample: [JobView]
    }

    static let waiting: [JobState] = [.pending, .available, .scheduled, .retryable]

    func register(_ routes: RouteTable) {
        let store = dependencies.store
        routes.add(.post, "/api/jobs/retry", role: .operator) { request, context in
            let body = try await Input.body(Request.self, request, context)
            let selection = try Self.selection(body, defaults: [.discarded], allowed: [.discarded, .cancelled], action: "retried")
            let attempts = body.attempts ?? 1
            let preview = try await store.preview(selection)
            let changed = body.dryRun == true ? 0 : try await store.retryAll(selection, extraAttempts: attempts)
            return try Reply.json(Outcome(matched: preview.count, changed: changed, dryRun: body.dryRun == true, sample: preview.sample.map(JobView.init)))
        }
        routes.add(.post, "/api/jobs/cancel", role: .operator) { request, context in
            let body = try await Input.body(Request.self, request, context)
            let selection = try Self.selection(body, defaults: Self.waiting, allowed: Self.waiting + [.running], action: "cancelled")
            let preview = try await store.preview(selection)
            let changed = body.dryRun == true ? 0 : try await store.cancelAll(selection)
            return try Reply.json(Outcome(matched: preview.count, changed: changed, dryRun: body.dryRun == true, sample: preview.sample.map(JobView.init)))
        }
    }

    /// The filter, each field checked; at least one of state, kind, queue or since, so an empty
    /// body never means "every job".
    static func selection(_ body: Request, defaults: [JobState], allowed: [JobState], action: String) throws -> JobSelection {
        if let attempts = body.attempts, !(1...1_000).contains(attempts) { throw APIError.invalid("attempts", "attempts must be 1…1000") }
        guard body.state != nil || body.kind != nil || body.queue != nil || body.since != nil else {
            throw APIError.invalid(nil, "give a filter: state, kind, queue or since (an empty body would mean every job)")
        }
        let states = try (body.state ?? []).map { name -> JobState in
            guard let state = JobState(rawValue: name), allowed.contains(state) else {
                throw APIError.invalid("state", "state '\(name)': only \(allowed.map(\.rawValue).joined(separator: ", ")) jobs can be \(action)")
            }
            return state
        }
        for (field, values) in [("kind", body.kind ?? []), ("queue", body.queue ?? [])] {
            if let bad = values.first(where: { $0.isEmpty || $0.unicodeScalars.count > 128 || $0.utf8.contains(0) }) {
                throw APIError.invalid(field, "\(field) '\(bad)' must be 1 to 128 characters, without NUL")
            }
        }
        return JobSelection(states: states.isEmpty ? defaults : states, kinds: body.kind ?? [], queues: body.queue ?? [], since: body.since)
    }
}
