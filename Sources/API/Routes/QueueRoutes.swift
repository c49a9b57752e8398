import Foundation
import Hummingbird
import JobQueue
import NightshiftCore

/// `/api/queues/…`: pause and resume a queue (operator role), list paused queues.
struct QueueRoutes {
    let dependencies: APIDependencies

    struct PauseRequest: Decodable { var reason: String? }
    struct Paused: Encodable { var pause: QueuePause; var newlyPaused: Bool }

    func register(_ routes: RouteTable) {
        let store = dependencies.store
        routes.add(.get, "/api/queues/paused", role: .viewer) { _, _ in try Reply.json(try await store.pausedQueues()) }
        routes.add(.post, "/api/queues/{queue}/pause", role: .operator) { request, context in
            let queue = try Self.queue(context)
            let reason = try await Input.body(PauseRequest.self, request, context).reason
            let (pause, isNew) = try await store.pause(queue: queue, by: context.identity?.subject ?? "api", reason: reason)
            return try Reply.json(Paused(pause: pause, newlyPaused: isNew))
        }
        routes.add(.post, "/api/queues/{queue}/resume", role: .operator) { _, context in
            let queue = try Self.queue(context)
            guard let lifted = try await store.resume(queue: queue) else { throw APIError.notFound("queue \(queue) is not paused") }
            return try Reply.json(lifted)
        }
    }

    /// The queue named in the path; the store checks it (``JobLimits``), as it does the reason.
    static func queue(_ context: APIContext) throws -> String {
        let queue = context.parameters.get("queue") ?? ""
        try JobLimits.checkName(queue, field: "queue")
        return queue
    }
}
