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
        /// Matched jobs left as they were, and why (a state change, a unique key, a failed
        /// dependency, a failed batch).
        var skipped: [Skip] = []
        /// Dependents a retry revived.
        var revived: Int = 0
    }

    struct Skip: Encodable {
        var id: Int64
        var reason: String
        var related: Int64?
    }

    func register(_ routes: RouteTable) {
        let store = dependencies.store
        routes.add(.post, "/api/jobs/retry", role: .operator) { request, context in
            let body = try await Input.body(Request.self, request, context)
            let selection = try Self.selection(body, .retry)
            return try await Self.outcome(store, selection, body)
        }
        routes.add(.post, "/api/jobs/cancel", role: .operator) { request, context in
            let body = try await Input.body(Request.self, request, context)
            let selection = try Self.selection(body, .cancel)
            return try await Self.outcome(store, selection, body)
        }
    }

    static func outcome(_ store: JobStore, _ selection: JobSelection, _ body: Request) async throws -> Response {
        let preview = try await store.preview(selection)
        var outcome = Outcome(matched: preview.count, changed: 0, dryRun: body.dryRun == true, sample: preview.sample.map(JobView.init))
        if body.dryRun != true {
            let report = try await store.perform(selection, extraAttempts: body.attempts ?? 1)
            outcome.changed = report.changed
            outcome.revived = report.revived
            outcome.skipped = report.skipped.map(Self.skip)
        }
        return try Reply.json(outcome)
    }

    static func skip(_ skip: BulkSkip) -> Skip {
        switch skip.reason {
        case .stateChanged(let state): Skip(id: skip.id, reason: "state changed to \(state.rawValue)")
        case .uniqueKeyHeld(let holder): Skip(id: skip.id, reason: "another job holds its unique key", related: holder)
        case .dependencyFailed(let dependency):
            Skip(id: skip.id, reason: "its dependency \(dependency) failed: retry that one instead", related: dependency)
        case .stillLocked: Skip(id: skip.id, reason: "still locked by another transaction: try again")
        case .batchFailed(let error): Skip(id: skip.id, reason: "its batch failed: \(error)")
        }
    }

    /// The filter, each field checked; at least one of state, kind, queue or since, so an empty
    /// body never means "every job".
    static func selection(_ body: Request, _ action: BulkAction) throws -> JobSelection {
        if let attempts = body.attempts, !(1...1_000).contains(attempts) { throw APIError.invalid("attempts", "attempts must be 1…1000") }
        guard body.state != nil || body.kind != nil || body.queue != nil || body.since != nil else {
            throw APIError.invalid(nil, "give a filter: state, kind, queue or since (an empty body would mean every job)")
        }
        let states = try (body.state ?? []).map { name -> JobState in
            guard let state = JobState(rawValue: name) else {
                throw APIError.invalid("state", "state '\(name)' is not a job state: use one of \(action.allowedStates.map(\.rawValue).joined(separator: ", "))")
            }
            return state
        }
        return try JobSelection(action, states: states, kinds: body.kind ?? [], queues: body.queue ?? [], since: body.since)
    }
}
