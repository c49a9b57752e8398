import Database
import Foundation
import JobQueue
import PostgresNIO
import TestSupport

/// How big a model run is and what it does to the workers.
struct ModelRunConfiguration: Sendable {
    var seed: UInt64
    var size = ModelSize()
    var workers = 2
    /// SIGKILLs of a random worker (a new one is started each time), spread over the run.
    var kills = 3
    /// A chain this long, whose head fails for good, in its own queue (0: none).
    var longChain = 0
    /// How long the jobs may take to settle once the operator stops.
    var quiescence: Duration = .seconds(60)
    /// A running job whose heartbeat is older than this is rescued (the workers beat every 250 ms).
    var rescueAfter: Duration = .seconds(5)
}

/// One seeded run against the real database: worker processes of `nightshift-test-worker`,
/// jobs enqueued in waves with operator actions between them, random SIGKILLs, then — once
/// nothing is left to run — ``ModelChecks`` compares what the database holds with the model.
struct ModelRun {
    let configuration: ModelRunConfiguration
    let client: PostgresClient
    let store: JobStore
    let queues: [String]
    let tag: String
    var log = ModelLog()
    var jobIDs: [Int64] = []
    var specs: [Int64: ModelJobSpec] = [:]

    init(configuration: ModelRunConfiguration, client: PostgresClient) {
        self.configuration = configuration
        self.client = client
        self.store = JobStore(client: client, logger: TestDatabase.logger)
        let tag = String(UUID().uuidString.prefix(8).lowercased())
        self.tag = tag
        self.queues = (0..<configuration.size.queues).map { "model-\(tag)-q\($0)" } + (configuration.longChain > 0 ? ["model-\(tag)-chain"] : [])
    }

    mutating func run() async throws -> ModelReport {
        var planner = ModelPlanner(seed: configuration.seed, size: configuration.size, runTag: tag)
        let waves = planner.waves()
        let workers = WorkerPool(queues: queues)
        for _ in 0..<configuration.workers { try await workers.start() }
        let processes = ProcessLog()
        let maintenance = Task { [store, queues, configuration] in
            await Self.maintain(store: store, queues: queues, rescueAfter: configuration.rescueAfter, log: processes)
        }
        let killer = Task { [configuration] in
            await Self.kill(workers: workers, times: configuration.kills, seed: configuration.seed, log: processes)
        }
        defer { maintenance.cancel(); killer.cancel() }

        if configuration.longChain > 0 { try await enqueueLongChain(configuration.longChain) }
        var pacing = SeededGenerator(seed: configuration.seed ^ 0x5EED)
        for wave in waves {
            for (job, actions) in wave.steps {
                try await enqueue(job)
                for action in actions { try await perform(action) }
            }
            // Pacing between waves, so workers and actions overlap; nothing waits on it.
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...500, using: &pacing)))
        }
        for queue in queues { try await store.resume(queue: queue) }
        killer.cancel()
        _ = await killer.result
        await settle()
        maintenance.cancel()
        _ = await maintenance.result
        let workerLogs = await workers.stopAll()
        log.killed = await processes.killed
        log.maintenanceErrors = await processes.errorsCounted
        log.workerLogs = workerLogs
        return try await ModelChecks(run: self).check()
    }

    /// Waits until no job of the run is available, scheduled, running or retryable.
    private mutating func settle() async {
        do {
            try await eventually(timeout: configuration.quiescence, "the model run's jobs to settle") { [client, queues] in
                try await client.scalar("""
                    SELECT count(*)::int FROM jobs WHERE queue = ANY(\(queues)) AND state IN ('available', 'scheduled', 'running', 'retryable')
                    """, as: Int.self) == 0
            }
        } catch {
            log.violations.append("not settled within \(configuration.quiescence): jobs still waiting to run or running (listed below)")
        }
    }

    // MARK: enqueue

    private mutating func enqueue(_ spec: ModelJobSpec) async throws {
        var job = try NewJob(TestKinds.ModelJob.self, args: spec.args, queue: queues[spec.queue], uniqueKey: spec.uniqueKey,
                             maxAttempts: spec.maxAttempts)
        if spec.kindB { job.kind = TestKinds.ModelJobB.kind }
        job.dependsOn = spec.dependsOn.map { .id(jobIDs[$0]) }
        job.onDependencyFailure = spec.runAnyway ? .run : .cancel
        do {
            let result = try await store.enqueue(job)
            jobIDs.append(result.id)
            if result.inserted { specs[result.id] = spec }
            if !result.inserted || result.state == .cancelled {
                log.trail.append(ModelEvent(text: "enqueue #\(spec.index) → job \(result.id) \(result.state)\(result.inserted ? "" : " (its unique key's holder)")",
                                            jobs: [result.id]))
            }
        } catch {
            // Refusing to wait for a job the pruner removed is right ("missing" is not
            // "satisfied"); any other refusal is a finding. Either way the job is not there:
            // later actions on it find nothing, later jobs waiting for it are refused too.
            let ids = spec.dependsOn.map { jobIDs[$0] }
            let present = (try? await client.scalar("SELECT count(*)::int FROM jobs WHERE id = ANY(\(ids))", as: Int.self)) ?? ids.count
            if present == Set(ids).count {
                log.violations.append("enqueue of job #\(spec.index) (waits for \(ids)) failed: \(DatabaseErrorMessage.describe(error))")
            }
            jobIDs.append(0)
        }
    }

    private mutating func enqueueLongChain(_ length: Int) async throws {
        let queue = queues.last!
        try await store.pause(queue: queue, by: "model", reason: "enqueuing a long chain")
        let head = try await store.enqueue(try NewJob(TestKinds.ModelJob.self, args: .init(snoozes: 0, fails: [1], holdMilliseconds: 0),
                                                      queue: queue, maxAttempts: 1))
        specs[head.id] = ModelJobSpec(index: -1, kindB: false, queue: queues.count - 1, dependsOn: [], runAnyway: false,
                                      uniqueKey: nil, maxAttempts: 1, args: .init(snoozes: 0, fails: [1], holdMilliseconds: 0))
        var previous = head.id
        for n in 0..<length {
            var job = try NewJob(TestKinds.ModelJob.self, args: .init(snoozes: 0, fails: [], holdMilliseconds: 0), queue: queue, maxAttempts: 1)
            job.dependsOn = [.id(previous)]
            let result = try await store.enqueue(job)
            specs[result.id] = ModelJobSpec(index: -2 - n, kindB: false, queue: queues.count - 1, dependsOn: [], runAnyway: false,
                                            uniqueKey: nil, maxAttempts: 1, args: .init(snoozes: 0, fails: [], holdMilliseconds: 0))
            previous = result.id
        }
        log.chainHead = head.id
        // The queue is resumed with the others at the end of the waves: the head fails then.
    }
}

/// What a run saw outside the database.
struct ModelLog: Sendable {
    var violations: [String] = []
    var cancels: [ModelCancel] = []
    var retries: [ModelRetry] = []
    var actions = 0
    var killed: [String] = []
    var maintenanceErrors: [String] = []
    var workerLogs: [String] = []
    var chainHead: Int64?
    /// The operator's actions in order, for the story of a violation.
    var trail: [ModelEvent] = []

    /// The actions that touched any of `jobs`, oldest first, at most `limit`.
    func story(of jobs: Set<Int64>, limit: Int = 6) -> String {
        let events = trail.filter { !$0.jobs.isDisjoint(with: jobs) }.suffix(limit)
        return events.isEmpty ? "" : "; operator: " + events.map(\.text).joined(separator: "; ")
    }
}

/// One operator action and the jobs it concerned.
struct ModelEvent: Sendable {
    var text: String
    var jobs: Set<Int64>
}

/// An operator cancel that took: at `at` (database clock, before the action) job `job`, whose
/// claim count was `claims`, was cancelled while waiting or asked to stop while running.
struct ModelCancel: Sendable {
    var job: Int64
    var at: Date
    var claims: Int
    var waiting: Bool
    var action: String
}

/// An operator retry and the jobs it may have put back (a bulk retry: every job it matched).
struct ModelRetry: Sendable {
    var jobs: Set<Int64>
    var at: Date
}
