import Synchronization

/// The attempts this worker is running, counted per queue (each has its limit) and per kind,
/// with a way to stop each one and the reason why.
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
        var queue: String
        var kind: String
        var deadline: ContinuousClock.Instant?
        var timeout: Duration?
        var task: TaskHandle?
        var stopReason: StopReason?
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        var perQueue: [String: Int] = [:]
        var perKind: [String: Int] = [:]
        /// Slots a claim in flight holds until it knows what it got (``reserve(_:)``).
        var reserved: [String: Int] = [:]
        /// Claim loops waiting for free slots: each wants a wake-up once some queue has as many
        /// free as it gave.
        var waiting: [(signal: WakeSignal, thresholds: [String: Int])] = []

        func free(_ queue: String, limits: [String: Int]) -> Int {
            (limits[queue] ?? 0) - (perQueue[queue] ?? 0) - (reserved[queue] ?? 0)
        }
    }

    private let state = Mutex(State())
    /// Each queue's limit.
    let limits: [String: Int]
    /// Kinds whose end the limited claim loop wants to hear of (``WakeSignal/Events/limitedSlotFreed``).
    private let limitedKinds: Set<String>
    /// Every claim loop's signal: told when the last running job ends (shutdown waits for it).
    private let wakes: [WakeSignal]
    private let limitedWake: WakeSignal?

    init(queues: [WorkerQueue], limitedKinds: Set<String> = [], wakes: [WakeSignal], limitedWake: WakeSignal? = nil) {
        self.limits = Dictionary(uniqueKeysWithValues: queues.map { ($0.name, $0.limit) })
        self.limitedKinds = limitedKinds
        self.wakes = wakes
        self.limitedWake = limitedWake
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// Free slots of each queue (neither running nor reserved), in one look.
    var freeSlots: [String: Int] {
        state.withLock { state in limits.reduce(into: [:]) { $0[$1.key] = state.free($1.key, limits: limits) } }
    }

    /// Reserves up to each queue's `limit` of its free slots for a claim about to be made, so
    /// claims made at once never take more than the queue's limit between them. Returns what
    /// was granted (queues with none left out); ``settle(_:claimed:)`` afterwards.
    func reserve(_ wanted: [WorkerQueue]) -> [WorkerQueue] {
        state.withLock { state in
            wanted.compactMap { queue in
                let granted = min(queue.limit, state.free(queue.name, limits: limits))
                guard granted > 0 else { return nil }
                state.reserved[queue.name, default: 0] += granted
                return WorkerQueue(queue.name, limit: granted)
            }
        }
    }

    /// Ends a reservation: the claimed jobs now run here, the rest of the slots are free again
    /// (and a claim loop waiting for them is woken).
    func settle(_ granted: [WorkerQueue], claimed: [ClaimedJob]) {
        let woken = state.withLock { state -> [WakeSignal] in
            for queue in granted { state.reserved[queue.name, default: 0] -= queue.limit }
            for job in claimed {
                state.entries[job.id] = Entry(attempt: job.attempt, queue: job.queue, kind: job.kind)
                state.perQueue[job.queue, default: 0] += 1
                state.perKind[job.kind, default: 0] += 1
            }
            guard claimed.count < granted.reduce(0, { $0 + $1.limit }), !state.waiting.isEmpty else { return [] }
            let free = limits.keys.reduce(into: [String: Int]()) { $0[$1] = state.free($1, limits: limits) }
            var woken: [WakeSignal] = []
            state.waiting.removeAll { waiter in
                guard waiter.thresholds.contains(where: { (free[$0.key] ?? 0) >= $0.value }) else { return false }
                woken.append(waiter.signal)
                return true
            }
            return woken
        }
        for signal in woken { signal.fire(.slotFreed) }
    }

    /// How many of `kind` run here now.
    func running(kind: String) -> Int { state.withLock { $0.perKind[kind] ?? 0 } }

    var attempts: [AttemptRef] {
        state.withLock { $0.entries.map { AttemptRef(id: $0.key, attempt: $0.value.attempt) } }
    }

    /// Asks for `WakeSignal.slotFreed` on `signal` once some queue has as many free slots as
    /// `thresholds` gives it; false if one already has.
    func wakeWhenFree(_ thresholds: [String: Int], signal: WakeSignal) -> Bool {
        state.withLock { state in
            if thresholds.contains(where: { state.free($0.key, limits: limits) >= $0.value }) { return false }
            state.waiting.removeAll { $0.signal === signal }
            state.waiting.append((signal, thresholds))
            return true
        }
    }

    /// Runs `body` as the attempt's handler in the current task, stoppable through `stop`.
    func run(_ ref: AttemptRef, timeout: Duration?, _ body: () async throws -> Void) async -> (Result<Void, any Error>, StopReason?) {
        let stopNow = withUnsafeCurrentTask { task -> Bool in
            state.withLock { state in
                // Changed where it lies: a copy out and back costs a retain and release of each
                // field and a second hash, once per job.
                guard let index = state.entries.index(forKey: ref.id), state.entries.values[index].attempt == ref.attempt else {
                    return false
                }
                state.entries.values[index].task = task.map(TaskHandle.init)
                state.entries.values[index].timeout = timeout
                state.entries.values[index].deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
                return state.entries.values[index].stopReason != nil
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
        let (reason, woken, limited) = state.withLock { state -> (StopReason?, [WakeSignal], Bool) in
            guard let index = state.entries.index(forKey: ref.id), state.entries.values[index].attempt == ref.attempt else {
                return (nil, [], false)
            }
            let entry = state.entries.remove(at: index).value
            state.perQueue[entry.queue, default: 1] -= 1
            state.perKind[entry.kind, default: 1] -= 1
            var woken: [WakeSignal] = []
            if state.entries.isEmpty {
                state.waiting = []
                woken = wakes
            } else if !state.waiting.isEmpty {
                let free = state.free(entry.queue, limits: limits)
                state.waiting.removeAll { waiter in
                    guard let threshold = waiter.thresholds[entry.queue], free >= threshold else { return false }
                    woken.append(waiter.signal)
                    return true
                }
            }
            return (entry.stopReason, woken, limitedKinds.contains(entry.kind))
        }
        for signal in woken { signal.fire(.slotFreed) }
        if limited { limitedWake?.fire(.limitedSlotFreed) }
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
