import BackOffice
import Cron
import Foundation
import JobQueue
import Logging
import ServiceLifecycle

/// Enqueues jobs once when a process starts (after the start-up check), then waits for
/// shutdown. Unique keys make a second process starting the same day a no-op.
struct StartupJobs: Service {
    let jobs: [NewJob]
    let store: JobStore
    let logger: Logger

    func run() async throws {
        for job in jobs {
            do {
                let result = try await store.enqueue(job)
                if result.inserted { logger.info("start-up job enqueued", metadata: ["kind": "\(job.kind)", "job_id": "\(result.id)"]) }
            } catch {
                logger.error("could not enqueue a start-up job", metadata: ["kind": "\(job.kind)", "error": "\(ErrorText.describe(error))"])
            }
        }
        try? await gracefulShutdown()
    }
}

/// The metrics catch-up a worker asks for when it starts (seed 004's `catchup_missing_metrics`).
enum MetricsCatchUp {
    static func job(_ settings: Settings) -> NewJob {
        let today = LocalDate(containing: Date(), in: settings.backOffice.branch.timeZone)
        let namespace = settings.scheduler.keyNamespace.map { "\($0):" } ?? ""
        // try!: the arguments are a plain struct of optionals, which always encodes.
        return try! NewJob(PushMetricsJob.self, args: .init(date: today.description),
                           uniqueKey: "\(namespace)push-metrics:start-up:\(today)")
    }
}
