import Synchronization

/// The attempts this worker is running, with a way to stop each one and the reason why.
final class RunningJobs: Sendable {
    enum StopReason: Sendable, Equatable {
        /// A person cancelled the job.
        case cancelRequested
        /// The attempt ran past its kind's timeout.
        case timedOut(Duration)
        /// The database no longer shows this attempt running here (rescued, cancelled).
        case lost
        /// Graceful shutdown ran out of time.
        case shutdown
    }

    private struct Entry {
        var attempt: Int
        var deadline: ContinuousClock.Instant?
        var timeout: Duration?
        var task: Task<Void, any Error>?
        var stopReason: StopReason?
    }

    private let entries = Mutex([Int64: Entry]())

    var count: Int { entries.withLock { $0.count } }

    var attempts: [AttemptRef] {
        entries.withLock { $0.map { AttemptRef(id: $0.key, attempt: $0.value.attempt) } }
    }

    func insert(_ ref: AttemptRef) {
        entries.withLock { $0[ref.id] = Entry(attempt: ref.attempt) }
    }

    /// Attaches the handler's task; if a stop came first, stops it at once.
    func attach(_ ref: AttemptRef, task: Task<Void, any Error>, timeout: Duration?) {
        let stopNow = entries.withLock { entries -> Bool in
            guard var entry = entries[ref.id], entry.attempt == ref.attempt else { return true }
            entry.task = task
            entry.timeout = timeout
            entry.deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
            entries[ref.id] = entry
            return entry.stopReason != nil
        }
        if stopNow { task.cancel() }
    }

    /// Removes the attempt and returns why it was stopped, if it was.
    func remove(_ ref: AttemptRef) -> StopReason? {
        entries.withLock { entries in
            guard let entry = entries[ref.id], entry.attempt == ref.attempt else { return nil }
            entries[ref.id] = nil
            return entry.stopReason
        }
    }

    /// Stops one attempt (any attempt of the job when `attempt` is nil). The first reason wins.
    @discardableResult
    func stop(id: Int64, attempt: Int? = nil, reason: StopReason) -> Bool {
        let task = entries.withLock { entries -> Task<Void, any Error>?? in
            guard var entry = entries[id], attempt == nil || entry.attempt == attempt else { return .none }
            if entry.stopReason == nil { entry.stopReason = reason }
            entries[id] = entry
            return .some(entry.task)
        }
        guard let task else { return false }
        task?.cancel()
        return true
    }

    func stopAll(reason: StopReason) {
        for ref in attempts { stop(id: ref.id, attempt: ref.attempt, reason: reason) }
    }

    /// Stops every attempt whose deadline has passed.
    func stopOverdue(now: ContinuousClock.Instant = .now) {
        let overdue = entries.withLock { entries in
            entries.compactMap { id, entry -> (Int64, Int, Duration)? in
                guard entry.stopReason == nil, let deadline = entry.deadline, let timeout = entry.timeout,
                      deadline <= now else { return nil }
                return (id, entry.attempt, timeout)
            }
        }
        for (id, attempt, timeout) in overdue { stop(id: id, attempt: attempt, reason: .timedOut(timeout)) }
    }
}
