import Logging
import PostgresNIO

/// Runs one claimed attempt and records how it ended. A class: each job's task captures one
/// reference instead of a copy of all this.
final class JobExecutor: Sendable {
    let registry: JobRegistry
    let store: JobStore
    let completer: BatchCompleter
    let running: RunningJobs
    let configuration: WorkerConfiguration
    let logger: Logger

    init(
        registry: JobRegistry, store: JobStore, completer: BatchCompleter, running: RunningJobs,
        configuration: WorkerConfiguration, logger: Logger
    ) {
        self.registry = registry
        self.store = store
        self.completer = completer
        self.running = running
        self.configuration = configuration
        self.logger = logger
    }

    func execute(_ job: ClaimedJob) async {
        let ref = AttemptRef(id: job.id, attempt: job.attempt)
        guard let entry = registry.entry(for: job.kind) else {
            running.remove(ref)
            await fail(ref, job: job, message: "unknown job kind '\(job.kind)': no handler is registered for it in this worker; deploy a worker that knows it, then `nightshift jobs retry \(job.id)`", discard: true, logger: JobContext.jobLogger(self.logger, job))
            return
        }
        let context = JobContext(job: job, logger: self.logger, client: store.client, store: store)
        let (result, stopReason) = await running.run(ref, timeout: entry.timeout ?? configuration.defaultJobTimeout) {
            try await entry.run(job.args, context)
        }
        if case .success = result, stopReason == nil {
            if !context.isCompleted { completer.add(ref) }
            return
        }
        if Task.isCancelled {
            // Stopping the attempt cancelled this task; record the outcome from a task that is
            // not cancelled, or the database driver would refuse the write.
            await Task { await record(result, stopReason: stopReason, job: job, ref: ref, context: context) }.value
        } else {
            await record(result, stopReason: stopReason, job: job, ref: ref, context: context)
        }
    }

    private func record(
        _ result: Result<Void, any Error>, stopReason: RunningJobs.StopReason?, job: ClaimedJob, ref: AttemptRef,
        context: JobContext
    ) async {
        let logger = context.logger
        switch (result, stopReason) {
        case (.success, _):
            if !context.isCompleted { completer.add(ref) }
            logger.debug("job succeeded")
        case (.failure(let error as JobFenced), _):
            logger.warning("attempt fenced off, its writes were rolled back", metadata: ["error": "\(error)"])
        case (.failure, .lost?):
            logger.warning("attempt dropped: the database no longer shows it running here (rescued or cancelled)")
        case (.failure, .shutdown?):
            do {
                if try await store.handBack(ref) { logger.info("handed back at shutdown") }
            } catch {
                logger.error("could not hand back job at shutdown; the rescuer will return it",
                             metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
            }
        case (.failure, .cancelRequested?):
            do {
                try await store.markCancelled(ref, reason: "cancelled while running on \(configuration.workerID)")
                logger.info("job cancelled while running")
            } catch {
                logger.error("could not mark job cancelled", metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
            }
        case (.failure, .timedOut(let limit)?):
            await fail(ref, job: job, message: "timed out after \(limit) and was cancelled", discard: false, logger: logger)
        case (.failure(let error as JobDiscard), nil):
            await fail(ref, job: job, message: error.reason, discard: true, logger: logger)
        case (.failure(let error), nil):
            let message = error is CancellationError
                ? "cancelled: the handler stopped without finishing"
                : DatabaseErrorMessage.describe(error)
            await fail(ref, job: job, message: message, discard: false, logger: logger)
        }
    }

    private func fail(_ ref: AttemptRef, job: ClaimedJob, message: String, discard: Bool, logger: Logger) async {
        let delay = configuration.retryPolicy.delay(afterAttempt: job.attempt)
        do {
            let state = try await store.markFailed(
                ref, error: message, retryDelay: delay, discard: discard, worker: configuration.workerID)
            switch state {
            case .discarded?:
                logger.error("job discarded", metadata: ["error": "\(message)"])
            case .retryable?:
                logger.warning("job failed, will retry", metadata: ["error": "\(message)", "retry_in": "\(delay)"])
            default:
                logger.warning("failure not recorded: attempt no longer running here", metadata: ["error": "\(message)"])
            }
        } catch {
            logger.error("could not record job failure; the rescuer will return the job",
                         metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
        }
    }
}
