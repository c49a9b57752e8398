import Foundation
import JobQueue

/// Enqueue rates through the library, one call per job and in batches, and filling a queue for a drain.
extension BenchRun {
    func enqueueSingly(queue: String) async throws -> Double {
        let perCaller = settings.singleJobs / settings.enqueuers
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<settings.enqueuers {
                group.addTask {
                    for _ in 0..<perCaller { _ = try await store.enqueue(NewJob(kind: "noop", queue: queue)) }
                }
            }
            try await group.waitForAll()
        }
        return Double(perCaller * settings.enqueuers) / (ContinuousClock.now - start).timeInterval
    }

    func enqueueInBatches(queue: String) async throws -> Double {
        let batch = (0..<settings.batchSize).map { _ in NewJob(kind: "noop", queue: queue) }
        let start = ContinuousClock.now
        var done = 0
        while done < settings.jobs {
            let count = min(settings.batchSize, settings.jobs - done)
            try await store.enqueueBatch(count == batch.count ? batch : Array(batch.prefix(count)))
            done += count
        }
        return Double(done) / (ContinuousClock.now - start).timeInterval
    }

    func fill(_ queue: String, kind: String = NoopJob.kind) async throws {
        let chunk = (0..<5_000).map { _ in NewJob(kind: kind, queue: queue) }
        var done = 0
        while done < settings.jobs {
            let count = min(chunk.count, settings.jobs - done)
            try await store.enqueueBatch(count == chunk.count ? chunk : Array(chunk.prefix(count)))
            done += count
        }
    }
}
