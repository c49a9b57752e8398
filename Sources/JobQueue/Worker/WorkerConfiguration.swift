import Database
import Foundation
import NightshiftCore

/// How a worker claims and runs jobs. Defaults suit a small production deployment.
public struct WorkerConfiguration: Sendable {
    /// Queues to claim from.
    public var queues: [String] = [NewJob.defaultQueue]
    /// Jobs run at once.
    public var concurrency: Int = 10
    /// Most jobs taken by one claim query.
    public var claimBatchSize: Int = 50
    /// How often an idle worker looks for work without a notification.
    public var pollInterval: Duration = .seconds(1)
    /// How often running jobs' `heartbeat_at` is refreshed.
    public var heartbeatInterval: Duration = .seconds(5)
    /// An attempt's time limit for kinds that set none.
    public var defaultJobTimeout: Duration? = .seconds(3600)
    /// On shutdown, how long running jobs may finish before they are stopped and handed back.
    public var shutdownGracePeriod: Duration = .seconds(10)
    public var retryPolicy: RetryPolicy = .standard
    /// Write pending completions in the same statement as the next claim.
    public var completeWithClaim = true
    /// Identifies this worker in `jobs.locked_by` and error entries: host/pid.
    public var workerID: String = ProcessIdentity.hostAndPID
    /// How a handler's error is written into the job's `errors` and `last_error`. The process's
    /// composition root gives one that adds what to do about it, in the words its operators use.
    public var errorText: @Sendable (any Error) -> String = { DatabaseErrorMessage.describe($0) }

    public init() {}

    /// Checks the values, naming the field (`queues`, `concurrency`, `claimBatchSize`,
    /// `pollInterval`).
    public func validate() throws(InvalidInput) {
        guard !queues.isEmpty, queues.allSatisfy({ !$0.isEmpty }) else {
            throw InvalidInput(field: "queues", "at least one queue name is needed, e.g. default,backups")
        }
        guard concurrency >= 1 else { throw InvalidInput(field: "concurrency", "concurrency must be at least 1, got \(concurrency)") }
        guard claimBatchSize >= 1 else { throw InvalidInput(field: "claimBatchSize", "claim batch size must be at least 1, got \(claimBatchSize)") }
        guard pollInterval > .zero else { throw InvalidInput(field: "pollInterval", "poll interval must be positive") }
    }
}
