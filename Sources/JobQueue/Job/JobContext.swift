import Database
import Logging
import NightshiftCore
import PostgresNIO
import Synchronization

/// What a running job knows about itself, and the door to transactional completion.
public final class JobContext: Sendable {
    public let job: ClaimedJob
    public let client: PostgresClient
    let store: JobStore
    private let baseLogger: Logger
    private let completed = Mutex(false)
    private let reporter = Mutex<JobProgressReporter?>(nil)

    /// Where the job tells how far it has got: `jobs.progress`, shown by `nightshift jobs show`,
    /// the API and the dashboard while it runs (written at most once a second). Made on first
    /// use, so the many jobs that never report pay nothing.
    public var progress: any WorkProgressReporting {
        reporter.withLock { reporter in
            if let reporter { return reporter }
            let made = JobProgressReporter(ref: AttemptRef(id: job.id, attempt: job.attempt), store: store, logger: logger)
            reporter = made
            return made
        }
    }

    /// Internal: the worker makes contexts (tests reach it with `@testable import`).
    init(job: ClaimedJob, logger: Logger, client: PostgresClient, store: JobStore) {
        self.job = job
        self.baseLogger = logger
        self.client = client
        self.store = store
    }

    /// A logger carrying the job's id, kind and attempt (and the worker) as metadata. Built on
    /// use, since most jobs never log.
    public var logger: Logger { Self.jobLogger(baseLogger, job) }

    static func jobLogger(_ base: Logger, _ job: ClaimedJob) -> Logger {
        var logger = base
        logger[metadataKey: "job_id"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        logger[metadataKey: "attempt"] = "\(job.attempt)"
        return logger
    }

    /// Runs `body` in a transaction that also marks this attempt succeeded, fenced by the
    /// attempt number. Both commit or neither does: if the job was rescued or cancelled
    /// meanwhile, the fence matches no row, the transaction rolls back and this throws
    /// ``JobFenced``. `result` is stored in `jobs.result`.
    @discardableResult
    public func completeInTransaction<T: Sendable>(
        result: String? = nil,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let value = try await Transaction.run(on: client, logger: logger) { connection in
            let value = try await body(connection)
            let marked = try await store.markSucceeded(job.id, attempt: job.attempt, result: result, on: connection)
            guard marked else { throw JobFenced(jobID: job.id, attempt: job.attempt) }
            return value
        }
        completed.withLock { $0 = true }
        return value
    }

    var isCompleted: Bool { completed.withLock { $0 } }

    /// Writes the job's last progress report, if it made any (see ``JobProgressReporter/flush()``).
    func flushProgress() async {
        if let reporter = reporter.withLock({ $0 }) { await reporter.flush() }
    }
}

/// The job's attempt is no longer the running one (rescued, cancelled or finished elsewhere):
/// this worker's write was refused and rolled back.
public struct JobFenced: NightshiftError {
    public var jobID: Int64
    public var attempt: Int
    public var description: String {
        "job \(jobID) attempt \(attempt) is no longer running here (rescued or cancelled): write refused"
    }
    public var category: ErrorCategory { .conflict }
}
