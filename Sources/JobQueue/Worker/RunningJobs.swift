import Synchronization

/// The attempts this worker is running, with a way to stop each one and the reason why.
///
/// Each attempt runs in its own child task of the worker's task group. To stop one attempt
/// without a second task per job, the child registers its own task handle here and removes it
/// (under the same lock) before it ends, so a handle is only ever cancelled while its task lives.
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

    /// A task handle that may cross threads: only touched under `entries`' lock, while the
    /// task it names is alive.
    private struct TaskHandle: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private struct Entry {
        var attempt: Int
        var deadline: ContinuousClock.Instant?
        var timeout: Duration?
        var task: TaskHandle?
        var stopReason: StopReason?
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        /// The claim loop wants a wake-up once this many slots are free (0: no one waits).
        var wakeWhenFree = 0
    }

    private let state = Mutex(State())
    let capacity: Int
    private let wake: WakeSignal

    init(capacity: Int, wake: WakeSignal) {
        self.capacity = capacity
        self.wake = wake
    }

    var count: Int { state.withLock { $0.entries.count } }

    var attempts: [AttemptRef] {
        state.withLock { $0.entries.map { AttemptRef(id: $0.key, attempt: $0.value.attempt) } }
    }

    func insert(_ ref: AttemptRef) {
        state.withLock { $0.entries[ref.id] = Entry(attempt: ref.attempt) }
    }

    /// Asks for `WakeSignal.slotFreed` once `free` slots are free; false if they already are.
    func wakeWhenFree(_ free: Int) -> Bool {
        state.withLock { state in
            if capacity - state.entries.count >= free { return false }
            state.wakeWhenFree = free
            return true
        }
    }

    /// Runs `body` as the attempt's handler in the current task, stoppable through `stop`.
    func run(_ ref: AttemptRef, timeout: Duration?, _ body: () async throws -> Void) async -> (Result<Void, any Error>, StopReason?) {
        let stopNow = withUnsafeCurrentTask { task -> Bool in
            state.withLock { state in
                guard var entry = state.entries[ref.id], entry.attempt == ref.attempt else { return false }
                entry.task = task.map(TaskHandle.init)
                entry.timeout = timeout
                entry.deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
                state.entries[ref.id] = entry
                return entry.stopReason != nil
            }
        }
        if stopNow { withUnsafeCurrentTask { $0?.cancel() } }
        let result: Result<Void, any Error>
        do {
            try await body()
            result = .success(())
        } catch {
            result = .failure(error)
        }
        return (result, remove(ref))
    }

    /// Removes the attempt and returns why it was stopped, if it was.
    @discardableResult
    func remove(_ ref: AttemptRef) -> StopReason? {
        let (reason, wakeClaimLoop) = state.withLock { state -> (StopReason?, Bool) in
            guard let entry = state.entries[ref.id], entry.attempt == ref.attempt else { return (nil, false) }
            state.entries[ref.id] = nil
            var wakeClaimLoop = false
            if state.wakeWhenFree > 0 && capacity - state.entries.count >= state.wakeWhenFree {
                state.wakeWhenFree = 0
                wakeClaimLoop = true
            }
            return (entry.stopReason, wakeClaimLoop || state.entries.isEmpty)
        }
        if wakeClaimLoop { wake.fire(.slotFreed) }
        return reason
    }

    /// Stops one attempt (any attempt of the job when `attempt` is nil). The first reason wins.
    @discardableResult
    func stop(id: Int64, attempt: Int? = nil, reason: StopReason) -> Bool {
        state.withLock { state in
            guard var entry = state.entries[id], attempt == nil || entry.attempt == attempt else { return false }
            if entry.stopReason == nil { entry.stopReason = reason }
            state.entries[id] = entry
            // Cancelled under the lock: the task removes itself under it before it ends.
            entry.task?.task.cancel()
            return true
        }
    }

    func stopAll(reason: StopReason) {
        for ref in attempts { stop(id: ref.id, attempt: ref.attempt, reason: reason) }
    }

    /// Stops every attempt whose deadline has passed.
    func stopOverdue(now: ContinuousClock.Instant = .now) {
        let overdue = state.withLock { state in
            state.entries.compactMap { id, entry -> (Int64, Int, Duration)? in
                guard entry.stopReason == nil, let deadline = entry.deadline, let timeout = entry.timeout,
                      deadline <= now else { return nil }
                return (id, entry.attempt, timeout)
            }
        }
        for (id, attempt, timeout) in overdue { stop(id: id, attempt: attempt, reason: .timedOut(timeout)) }
    }
}
