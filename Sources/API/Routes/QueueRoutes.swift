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
            if let reason, reason.unicodeScalars.count > 500 || reason.utf8.contains(0) {
                throw APIError.invalid("reason", "reason must be at most 500 characters, without NUL")
            }
            let (pause, isNew) = try await store.pause(queue: queue, by: context.identity?.subject ?? "api", reason: reason)
            return try Reply.json(Paused(pause: pause, newlyPaused: isNew))
        }
        routes.add(.post, "/api/queues/{queue}/resume", role: .operator) { _, context in
            let queue = try Self.queue(context)
            guard let lifted = try await store.resume(queue: queue) else { throw APIError.notFound("queue \(queue) is not paused") }
            return try Reply.json(lifted)
        }
    }

    static func queue(_ context: APIContext) throws -> String {
        let queue = context.parameters.get("queue") ?? ""
        guard !queue.isEmpty, queue.unicodeScalars.count <= 128, !queue.utf8.contains(0) else {
            throw APIError.invalid("queue", "queue must be 1 to 128 characters")
        }
        return queue
    }
}
