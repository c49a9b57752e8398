import Database
import Foundation
import NightshiftCore

/// How a worker claims and runs jobs. Defaults suit a small production deployment.
public struct WorkerConfiguration: Sendable {
    /// Queues to claim from, each with how many of its jobs run at once.
    public var queues: [WorkerQueue] = [WorkerQueue(NewJob.defaultQueue)]
    /// Most jobs taken by one claim query.
    public var claimBatchSize: Int = 50
    /// Claims in flight at once, each on its own connection: a second claim runs while the
    /// first waits for its commit, which is what a backlog of quick jobs is bound by. The
    /// second joins only while the first's claims come back full.
    public var claimers: Int = 2
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

    public var queueNames: [String] { queues.map(\.name) }
    /// Jobs this worker may run at once, over all its queues.
    public var capacity: Int { queues.reduce(0) { $0 + $1.limit } }

    /// Checks the values, naming the field (`queues`, `claimBatchSize`, `pollInterval`).
    public func validate() throws(InvalidInput) {
        guard !queues.isEmpty, queues.allSatisfy({ !$0.name.isEmpty }) else {
            throw InvalidInput(field: "queues", "at least one queue name is needed, e.g. default=100,backups=2")
        }
        if let bad = queues.first(where: { $0.limit < 1 }) {
            throw InvalidInput(field: "queues", "queue '\(bad.name)' has limit \(bad.limit): it must be at least 1")
        }
        guard Set(queueNames).count == queues.count else { throw InvalidInput(field: "queues", "a queue is listed twice") }
        guard (1...16).contains(claimers) else { throw InvalidInput(field: "claimers", "claimers must be 1…16, got \(claimers)") }
        guard claimBatchSize >= 1 else { throw InvalidInput(field: "claimBatchSize", "claim batch size must be at least 1, got \(claimBatchSize)") }
        guard pollInterval > .zero else { throw InvalidInput(field: "pollInterval", "poll interval must be positive") }
    }
}
