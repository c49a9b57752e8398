import Database
import Logging
import Synchronization

/// Claims the kinds that declare a ``KindLimit``, beside the worker's hot claim loop (which
/// leaves them out): at start, when a notification says jobs are available (at most every
/// 50 ms), when one of these kinds ends here, and at least every poll interval. It runs its own
/// jobs' tasks; they count against the same queue slots as the hot loop's.
struct LimitedClaimLoop: Sendable {
    let limits: [String: KindLimit]
    let configuration: WorkerConfiguration
    let store: JobStore
    let running: RunningJobs
    let executor: JobExecutor
    let logger: Logger

    /// The least time between two looks that notifications ask for.
    static let minimumSpacing = Duration.milliseconds(50)

    func run(wake: WakeSignal, stopping: StopFlag) async {
        await withDiscardingTaskGroup { jobs in
            var due = ContinuousClock.now
            var last = ContinuousClock.now
            while !stopping.isSet && !Task.isCancelled {
                if due <= .now {
                    let (claimed, next) = await claimEach()
                    for job in claimed { jobs.addImmediateTask { await executor.execute(job) } }
                    last = .now
                    due = next
                }
                let events = await wake.wait(timeout: max(.zero, due - .now))
                if events.contains(.limitedSlotFreed) {
                    due = .now
                } else if events.contains(.jobsAvailable) {
                    due = min(due, max(.now, last + Self.minimumSpacing))
                }
            }
        }
    }

    /// Claims each kind into the room it has here (its per-worker limit, the queues' free
    /// slots); returns the jobs, already counted as running, and when to look again: at once
    /// when a kind filled its room, soon after an error or a lock held too long elsewhere, else
    /// after the poll interval.
    private func claimEach() async -> ([ClaimedJob], ContinuousClock.Instant) {
        var claimed: [ClaimedJob] = []
        var next = ContinuousClock.now.advanced(by: configuration.pollInterval)
        for (kind, limit) in limits.sorted(by: { $0.key < $1.key }) {
            let wanted = min(limit.perWorker.map { $0 - running.running(kind: kind) } ?? Int.max, configuration.claimBatchSize)
            guard wanted > 0 else { continue }
            let (slots, queues) = (self.running, configuration.queues)
            // What `slots` reserved once the kind's lock was held, to settle however it ends.
            let granted = Mutex<[WorkerQueue]>([])
            do {
                let result = try await store.claimLimited(kind: kind, limit: limit, worker: configuration.workerID) {
                    let reserved = slots.reserve(queues.map { WorkerQueue($0.name, limit: wanted) })
                    granted.withLock { $0 = reserved }
                    return (reserved, min(wanted, reserved.reduce(0) { $0 + $1.limit }))
                }
                running.settle(granted.withLock { $0 }, claimed: result.jobs)
                claimed += result.jobs
                if result.jobs.count == wanted { next = .now }
                if result.busy { next = min(next, ContinuousClock.now.advanced(by: Self.minimumSpacing)) }
            } catch {
                running.settle(granted.withLock { $0 }, claimed: [])
                logger.error("claim of a limited kind failed, retrying", metadata: [
                    "kind": "\(kind)", "error": "\(DatabaseErrorMessage.describe(error))",
                ])
                next = min(next, ContinuousClock.now.advanced(by: .seconds(1)))
            }
        }
        return (claimed, next)
    }
}
