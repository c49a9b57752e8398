import Foundation
import Hummingbird
import JobQueue
import NightshiftCore
import Scheduler

/// `/api/jobs`: enqueue any kind this build runs (its args checked with the kind's own type
/// before anything is written), list with filters and a cursor, show, retry, cancel.
struct JobRoutes {
    let dependencies: APIDependencies

    struct EnqueueRequest: Decodable {
        var kind: String
        var args: JSONValue?
        var queue: String?
        var priority: Int?
        var runAt: Date?
        var `in`: String?
        var uniqueKey: String?
        var maxAttempts: Int?
        /// Jobs to wait for: ids (numbers) or unique keys (strings).
        var dependsOn: [JSONValue]?
        var onDependencyFailure: String?
        enum CodingKeys: String, CodingKey {
            case kind, args, queue, priority, `in`
            case runAt = "run_at", uniqueKey = "unique_key", maxAttempts = "max_attempts"
            case dependsOn = "depends_on", onDependencyFailure = "on_dependency_failure"
        }
    }

    struct Enqueued: Encodable { var job: JobView; var inserted: Bool }
    struct Page: Encodable { var jobs: [JobView]; var nextCursor: String? }
    struct RetryRequest: Decodable { var attempts: Int? }

    func register(_ routes: RouteTable) {
        let store = dependencies.store
        routes.add(.post, "/api/jobs", role: .operator) { request, context in
            let body = try await Input.body(EnqueueRequest.self, request, context)
            let job = try newJob(body)
            let (record, inserted) = try await store.enqueueReturningRecord(job)
            return try Reply.json(Enqueued(job: JobView(record), inserted: inserted), status: inserted ? .created : .ok)
        }
        routes.add(.get, "/api/jobs", role: .viewer) { request, _ in
            var filter = JobFilter()
            if let states = try Input.query(request, "state") {
                filter.states = try states.split(separator: ",").map { name in
                    guard let state = JobState(rawValue: String(name)) else {
                        throw APIError.invalid("state", "state '\(name)' is not one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return state
                }
            }
            filter.kind = try Input.query(request, "kind")
            filter.queue = try Input.query(request, "queue")
            filter.createdAfter = try Input.time(request, "created_after")
            filter.createdBefore = try Input.time(request, "created_before")
            filter.beforeID = try Input.integer(request, "cursor", in: 1...Int64.max)
            filter.limit = Int(try Input.integer(request, "limit", in: 1...500) ?? 50)
            let jobs = try await store.jobs(filter)
            let next = jobs.count == filter.limit ? jobs.last.map { String($0.id) } : nil
            return try Reply.json(Page(jobs: jobs.map(JobView.init), nextCursor: next))
        }
        routes.add(.get, "/api/jobs/{id}", role: .viewer) { _, context in
            let id = try Input.parameter(context, "id")
            guard let job = try await store.job(id) else { throw APIError.notFound("job \(id) not found") }
            return try Reply.json(JobView(job))
        }
        routes.add(.post, "/api/jobs/{id}/retry", role: .operator) { request, context in
            let id = try Input.parameter(context, "id")
            let attempts = try await Input.body(RetryRequest.self, request, context).attempts ?? 1
            guard (1...1_000).contains(attempts) else { throw APIError.invalid("attempts", "attempts must be 1…1000") }
            switch try await store.retry(id, extraAttempts: attempts) {
            case .retried: return try await show(id)
            case .notRetryable(let state):
                throw APIError.conflict("job \(id) is \(state.rawValue): only discarded or cancelled jobs can be retried")
            case .uniqueKeyTaken: throw APIError.conflict("job \(id) cannot be retried: another job holds its unique key")
            case .dependencyFailed(let dependency):
                throw APIError.conflict("job \(id) cannot be retried: job \(dependency), which it waits for, failed; retry job \(dependency) instead (it brings this one back)")
            case .notFound: throw APIError.notFound("job \(id) not found")
            }
        }
        routes.add(.post, "/api/jobs/{id}/cancel", role: .operator) { _, context in
            let id = try Input.parameter(context, "id")
            switch try await store.cancel(id) {
            case .cancelled: return try await show(id)
            case .cancelRequested: return try await show(id, status: .accepted)
            case .alreadyFinished(let state): throw APIError.conflict("job \(id) already finished: \(state.rawValue)")
            case .notFound: throw APIError.notFound("job \(id) not found")
            }
        }
    }

    private func show(_ id: Int64, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let job = try await dependencies.store.job(id) else { throw APIError.notFound("job \(id) not found") }
        return try Reply.json(JobView(job), status: status)
    }

    /// The job the body asks for, checked field by field; args with the kind's own type.
    func newJob(_ body: EnqueueRequest) throws -> NewJob {
        if body.runAt != nil && body.in != nil { throw APIError.invalid("in", "give run_at or in, not both") }
        var runAt = body.runAt
        if let text = body.in {
            guard let delay = DurationText.parse(text) else { throw APIError.invalid("in", "in must be a duration like 30s, 10m or 2h, got '\(text)'") }
            runAt = Date().addingTimeInterval(delay.timeInterval)
        }
        let args = body.args ?? .object([:])
        guard case .object = args else { throw APIError.invalid("args", "args must be a JSON object, like {\"year\": 2026, \"month\": 10}") }
        let text = String(decoding: try JSONEncoder.sorted.encode(args), as: UTF8.self)
        var job = NewJob(kind: body.kind, args: text, queue: body.queue ?? NewJob.defaultQueue, priority: body.priority ?? 0,
                         runAt: runAt, uniqueKey: body.uniqueKey,
                         maxAttempts: body.maxAttempts ?? dependencies.registry.maxAttempts(for: body.kind) ?? NewJob.defaultMaxAttempts)
        job.dependsOn = try (body.dependsOn ?? []).enumerated().map { index, value in
            switch value {
            case .integer(let number) where number >= 1: return .id(Int64(number))
            case .string(let key) where !key.isEmpty: return .uniqueKey(key)
            default:
                throw APIError.invalid("depends_on[\(index)]", "depends_on holds job ids (numbers from 1) or unique keys (non-empty strings)")
            }
        }
        if let failure = body.onDependencyFailure {
            guard let policy = JobDependency.OnFailure(rawValue: failure) else {
                throw APIError.invalid("on_dependency_failure", "on_dependency_failure is 'cancel' (the default) or 'run', got '\(failure)'")
            }
            job.onDependencyFailure = policy
        }
        try job.validate()
        try dependencies.registry.validate(kind: body.kind, args: text)
        return job
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
