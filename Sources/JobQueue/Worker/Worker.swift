import Database
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Claims jobs from its queues and runs them, up to each queue's limit at once.
///
/// Kinds that declare a ``KindLimit`` are left out of the hot claim and claimed beside it by a
/// ``LimitedClaimLoop``, so waiting for a kind's turn never holds up other work.
///
/// Idle, it sleeps until a NOTIFY says a job is available in one of its queues, or the poll
/// interval passes. It refreshes heartbeats of running jobs, stops attempts that run past their
/// timeout or that a person cancels, and on graceful shutdown stops claiming, lets running jobs
/// finish within the grace period and hands the rest back.
public struct Worker: Service {
    public let configuration: WorkerConfiguration
    /// Where the worker's own claim connection goes (``ClaimConnection``).
    let database: DatabaseURL
    let registry: JobRegistry
    let store: JobStore
    let logger: Logger
    /// Fires once the worker listens for notifications: jobs enqueued after this wake it at once.
    public let listening = ReadySignal()

    public init(
        configuration: WorkerConfiguration, database: DatabaseURL, registry: JobRegistry, store: JobStore, logger: Logger
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.database = database
        self.registry = registry
        self.store = store
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
    }

    public func run() async throws {
        let limitedWake = WakeSignal()
        let stopping = StopFlag()
        let limits = registry.limits
        // One claim loop per claimer, each with its own connection; the first is the primary
        // (notifications, polling, shutdown), the others help while the queues have a backlog.
        let wakes = (0..<configuration.claimers).map { _ in WakeSignal() }
        let connections = wakes.map { _ in
            ClaimConnection(
                url: database, workerID: configuration.workerID, maxBatch: configuration.claimBatchSize,
                excludingKinds: Array(limits.keys))
        }
        defer { for connection in connections { connection.close() } }
        let running = RunningJobs(queues: configuration.queues, limitedKinds: Set(limits.keys), wakes: wakes, limitedWake: limitedWake)
        // Completions written apart from a claim share the primary's connection: tried on the
        // helper's, they raced the next job's enqueue for the WAL flush and the paced latency
        // got worse (p50 1.3 → 2.0 ms, same run).
        let completer = BatchCompleter(connection: connections[0], logger: logger)
        let executor = JobExecutor(
            registry: registry, store: store, completer: completer, running: running,
            configuration: configuration, logger: logger)
        logger.info("worker started", metadata: [
            "queues": "\(configuration.queues.map(\.description).joined(separator: ","))",
            "claimers": "\(configuration.claimers)",
            "kinds": "\(registry.kinds.joined(separator: ","))",
        ])

        await withTaskGroup(of: Void.self) { support in
            support.addTask { await self.listen(wake: [wakes[0], limitedWake], running: running) }
            support.addTask { await self.watch(running: running) }
            await withTaskGroup(of: Void.self) { core in
                core.addTask { await completer.run() }
                await withGracefulShutdownHandler {
                    await withTaskGroup(of: Void.self) { loops in
                        if !limits.isEmpty {
                            let limited = LimitedClaimLoop(limits: limits, configuration: configuration, store: store,
                                                           running: running, executor: executor, logger: logger)
                            loops.addTask { await limited.run(wake: limitedWake, stopping: stopping) }
                        }
                        for index in wakes.indices.dropFirst() {
                            loops.addTask {
                                await self.claimLoop(
                                    wake: wakes[index], helpers: [], stopping: stopping, running: running, executor: executor,
                                    completer: completer, connection: connections[index])
                            }
                        }
                        await self.claimLoop(
                            wake: wakes[0], helpers: Array(wakes.dropFirst()), stopping: stopping, running: running,
                            executor: executor, completer: completer, connection: connections[0])
                    }
                } onGracefulShutdown: {
                    stopping.set()
                    for wake in wakes { wake.fire(.stopping) }
                    limitedWake.fire(.stopping)
                }
                completer.finish()
            }
            support.cancelAll()
        }
        logger.info("worker stopped")
    }

    /// Claims and starts jobs until shutdown. The primary loop (`helpers` are the others'
    /// signals) is woken by notifications and polls; after each full claim it wakes the
    /// helpers, which claim while their claims come back full and then wait for the next call.
    /// Each reserves its slots before it claims (``RunningJobs/reserve(_:)``), so loops claiming
    /// at once never take more than a queue's limit between them.
    private func claimLoop(
        wake: WakeSignal, helpers: [WakeSignal], stopping: StopFlag, running: RunningJobs, executor: JobExecutor,
        completer: BatchCompleter, connection: ClaimConnection
    ) async {
        let batch = configuration.claimBatchSize
        let primary = helpers.count == configuration.claimers - 1
        await withDiscardingTaskGroup { jobs in
            /// Queues whose last claim came back short: nothing more there until woken. A
            /// helper starts with all of them: it waits to be called.
            var drained: Set<String> = primary ? [] : Set(configuration.queueNames)
            var lastClaimWasFull = false
            while !stopping.isSet && !Task.isCancelled {
                let free = running.freeSlots
                // After a full claim, wait for half a batch of free slots so claims stay batched.
                let thresholds = Dictionary(uniqueKeysWithValues: configuration.queues.filter { !drained.contains($0.name) }.map {
                    ($0.name, lastClaimWasFull ? max(1, min(batch, $0.limit) / 2) : 1)
                })
                let wanted = configuration.queues.compactMap { queue -> WorkerQueue? in
                    guard let threshold = thresholds[queue.name], let slots = free[queue.name], slots >= threshold else { return nil }
                    return WorkerQueue(queue.name, limit: min(slots, batch))
                }
                let open = wanted.isEmpty ? [] : running.reserve(wanted)
                if !open.isEmpty {
                    let requested = min(batch, open.reduce(0) { $0 + $1.limit })
                    // Completions waiting to be written ride along with the claim.
                    let completing = configuration.completeWithClaim ? completer.takeAll() : []
                    do {
                        let result = try await connection.claim(
                            open, limit: requested, worker: configuration.workerID, completing: completing)
                        running.settle(open, claimed: result.jobs)
                        // Each job starts at once on this thread and runs here until its first
                        // suspension: the bookkeeping, and all of a job that never waits. A task
                        // handed to the global executor instead woke a pool thread per job, and
                        // that wake-up was the largest part of the worker's CPU per job
                        // (docs/benchmarks.md, "The worker's CPU per job").
                        for job in result.jobs { jobs.addImmediateTask { await executor.execute(job) } }
                        completer.logFenced(result.fenced)
                        lastClaimWasFull = result.jobs.count == requested
                        if lastClaimWasFull {
                            for helper in helpers { helper.fire(.jobsAvailable) }
                        } else {
                            // Nothing was cut by the overall limit: a queue that gave less than
                            // it was asked for has no more.
                            var perQueue: [String: Int] = [:]
                            for job in result.jobs { perQueue[job.queue, default: 0] += 1 }
                            for queue in open where perQueue[queue.name, default: 0] < queue.limit { drained.insert(queue.name) }
                        }
                    } catch {
                        running.settle(open, claimed: [])
                        completer.putBack(completing)
                        if ClaimConnection.isLockConflict(error) {
                            logger.notice("claim met another claim's lock, retrying at once",
                                          metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
                        } else {
                            logger.error("claim failed, retrying", metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
                            _ = await wake.wait(timeout: .seconds(1))
                        }
                    }
                    continue
                }
                let backlog = !thresholds.isEmpty
                if backlog && !running.wakeWhenFree(thresholds, signal: wake) { continue }
                if !backlog && configuration.completeWithClaim {
                    // No claim will carry completions until jobs appear: write them now.
                    await writeCompletions(completer.claimLoopGoesIdle(), connection: connection, completer: completer)
                }
                let events = await wake.wait(timeout: backlog || !primary ? nil : configuration.pollInterval)
                if events.contains(.jobsAvailable) || events.contains(.timedOut) { drained = [] }
            }
            if primary { await drain(running: running, wake: wake) }
        }
    }

    private func writeCompletions(_ refs: [AttemptRef], connection: ClaimConnection, completer: BatchCompleter) async {
        guard !refs.isEmpty else { return }
        do {
            completer.logFenced(try await connection.markSucceeded(refs))
        } catch {
            logger.warning("could not record completions, the completer will retry",
                           metadata: ["error": "\(DatabaseErrorMessage.describe(error))", "jobs": "\(refs.count)"])
            completer.putBack(refs)
        }
    }

    /// Lets running jobs finish within the grace period, then stops the rest (they hand
    /// themselves back).
    private func drain(running: RunningJobs, wake: WakeSignal) async {
        guard running.count > 0 else { return }
        logger.info("shutting down: waiting for running jobs", metadata: ["running": "\(running.count)"])
        let deadline = ContinuousClock.now.advanced(by: configuration.shutdownGracePeriod)
        while running.count > 0 {
            let left = deadline - .now
            if left <= .zero { break }
            _ = await wake.wait(timeout: left)
        }
        if running.count > 0 {
            logger.warning("grace period over: stopping running jobs and handing them back",
                           metadata: ["running": "\(running.count)"])
            running.stopAll(reason: .shutdown)
        }
    }

    /// Receives NOTIFY: new jobs in our queues and cancel requests. Reconnects on failure.
    private func listen(wake: [WakeSignal], running: RunningJobs) async {
        let queues = Set(configuration.queueNames)
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    try await connection.listen(on: JobStore.notificationChannel) { notifications in
                        listening.fire()
                        // Notifications sent while we were not listening are lost: look once.
                        for signal in wake { signal.fire(.jobsAvailable) }
                        for try await notification in notifications {
                            let payload = notification.payload
                            if payload.hasPrefix("available:") {
                                if queues.contains(String(payload.dropFirst("available:".count))) {
                                    for signal in wake { signal.fire(.jobsAvailable) }
                                }
                            } else if payload.hasPrefix("cancel:"), let id = Int64(payload.dropFirst("cancel:".count)) {
                                if running.stop(id: id, reason: .cancelRequested) {
                                    logger.info("cancel requested", metadata: ["job_id": "\(id)"])
                                }
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("notification listener lost its connection; polling until it reconnects",
                               metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Heartbeats running attempts, stops those that are overdue, cancelled or lost.
    private func watch(running: RunningJobs) async {
        let tick = Duration.milliseconds(250)
        var sinceHeartbeat = Duration.zero
        while !Task.isCancelled {
            do { try await Task.sleep(for: tick) } catch { return }
            running.stopOverdue()
            sinceHeartbeat += tick
            guard sinceHeartbeat >= configuration.heartbeatInterval else { continue }
            sinceHeartbeat = .zero
            let attempts = running.attempts
            guard !attempts.isEmpty else { continue }
            do {
                let result = try await store.heartbeat(attempts)
                for ref in attempts where !result.alive.contains(ref) {
                    running.stop(id: ref.id, attempt: ref.attempt, reason: .lost)
                }
                for ref in result.cancelRequested {
                    running.stop(id: ref.id, attempt: ref.attempt, reason: .cancelRequested)
                }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
            }
        }
    }
}

/// Set once, read often: "shutdown has begun".
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
