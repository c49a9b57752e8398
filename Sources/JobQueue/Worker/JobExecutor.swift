import Database
import Logging
import PostgresNIO

/// Runs one claimed attempt, records how it ended and tells the job events. A class: each
/// job's task captures one reference instead of a copy of all this.
final class JobExecutor: Sendable {
    let registry: JobRegistry
    let store: JobStore
    let completer: BatchCompleter
    let running: RunningJobs
    let configuration: WorkerConfiguration
    let logger: Logger
    private var events: JobEvents { store.events }

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
            await fail(ref, job: job, error: UnknownJobKind(kind: job.kind, jobID: job.id), discard: true, duration: .zero)
            return
        }
        let context = JobContext(job: job, logger: self.logger, client: store.client, store: store)
        events.emit(.started, job)
        let started = ContinuousClock.now
        let (result, stopReason) = await running.run(ref, timeout: entry.timeout ?? configuration.defaultJobTimeout) {
            try await entry.run(job.args, context)
        }
        let duration = ContinuousClock.now - started
        await context.flushProgress()
        if case .success = result, stopReason == nil {
            if !context.isCompleted { completer.add(ref) }
            events.emit(.succeeded, job, duration: duration)
            return
        }
        if Task.isCancelled {
            // Stopping the attempt cancelled this task; record the outcome from a task that is
            // not cancelled, or the database driver would refuse the write.
            await Task { await record(result, stopReason: stopReason, job: job, ref: ref, context: context, duration: duration) }.value
        } else {
            await record(result, stopReason: stopReason, job: job, ref: ref, context: context, duration: duration)
        }
    }

    private func record(
        _ result: Result<Void, any Error>, stopReason: RunningJobs.StopReason?, job: ClaimedJob, ref: AttemptRef,
        context: JobContext, duration: Duration
    ) async {
        switch (result, stopReason) {
        case (.success, _):
            if !context.isCompleted { completer.add(ref) }
            events.emit(.succeeded, job, duration: duration)
        case (.failure(let error as JobFenced), _):
            events.emit(.dropped, job, duration: duration, error: "\(error)")
        case (.failure, .lost?):
            events.emit(.dropped, job, duration: duration)
        case (.failure, .shutdown?):
            do {
                if try await store.handBack(ref) { events.emit(.handedBack, job, duration: duration) }
            } catch {
                logger.error("could not hand back job at shutdown; the rescuer will return it",
                             metadata: ["job_id": "\(job.id)", "error": "\(DatabaseErrorMessage.describe(error))"])
            }
        case (.failure, .cancelRequested?):
            do {
                if try await store.markCancelled(ref, reason: "cancelled while running on \(configuration.workerID)") {
                    events.emit(.cancelled, job, duration: duration)
                }
            } catch {
                logger.error("could not mark job cancelled",
                             metadata: ["job_id": "\(job.id)", "error": "\(DatabaseErrorMessage.describe(error))"])
            }
        case (.failure, .timedOut(let limit)?):
            await fail(ref, job: job, message: "timed out after \(limit) and was cancelled", discard: false, duration: duration)
        case (.failure(let snooze as JobSnooze), nil):
            do {
                if try await store.markSnoozed(ref, delay: snooze.duration, reason: snooze.reason) {
                    events.emit(.snoozed, job, duration: duration, error: snooze.reason, retryIn: snooze.duration)
                } else {
                    events.emit(.dropped, job, duration: duration, error: "\(snooze)")
                }
            } catch {
                logger.error("could not snooze job; the rescuer will return it",
                             metadata: ["job_id": "\(job.id)", "error": "\(DatabaseErrorMessage.describe(error))"])
            }
        case (.failure(let error as JobDiscard), nil):
            await fail(ref, job: job, error: error, discard: true, duration: duration)
        case (.failure(let error), nil):
            if error is CancellationError {
                await fail(ref, job: job, message: "cancelled: the handler stopped without finishing", discard: false, duration: duration)
            } else {
                await fail(ref, job: job, error: error, discard: false, duration: duration)
            }
        }
    }

    private func fail(_ ref: AttemptRef, job: ClaimedJob, error: any Error, discard: Bool, duration: Duration) async {
        await fail(ref, job: job, message: configuration.errorText(error), discard: discard, duration: duration)
    }

    private func fail(_ ref: AttemptRef, job: ClaimedJob, message: String, discard: Bool, duration: Duration) async {
        let delay = configuration.retryPolicy.delay(afterAttempt: job.attempt)
        do {
            let state = try await store.markFailed(
                ref, error: message, retryDelay: delay, discard: discard, worker: configuration.workerID)
            switch state {
            case .discarded?: events.emit(.discarded, job, duration: duration, error: message)
            case .retryable?: events.emit(.failed, job, duration: duration, error: message, retryIn: delay)
            case .cancelled?: events.emit(.cancelled, job, duration: duration, error: message)
            default: events.emit(.dropped, job, duration: duration, error: message)
            }
        } catch {
            logger.error("could not record job failure; the rescuer will return the job",
                         metadata: ["job_id": "\(job.id)", "error": "\(DatabaseErrorMessage.describe(error))"])
        }
    }
}
