import ArgumentParser
import Foundation
import JobQueue
import NightshiftCore

struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Add a job. With --unique-key, enqueuing the same key again returns the existing job.",
        discussion: """
            The kind must be one this build runs, and --args must decode as its arguments: a bad \
            job is refused here, naming the field, instead of being discarded by a worker later. \
            A unique key is held while its job is pending, available, scheduled, running, retryable \
            or succeeded; once that job is discarded or cancelled the key can be enqueued again.
            With --after, the job waits (state pending) until every job named has succeeded, and \
            is cancelled with the reason if one is discarded or cancelled (unless \
            --run-if-dependency-fails). The jobs named must exist already.
            nightly-dump, backup-month and generate-extrato without "branch" in --args get this \
            process's BRANCH_ID: the worker that runs them files the dump or backup under it.
            Prints the job id, its state and whether it was inserted or matched an existing job.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "Job kind, e.g. noop, backup-month, generate-extrato.")
    var kind: String

    @Option(help: "Arguments as a JSON object.")
    var args: String = "{}"

    @Option(help: "Queue name.")
    var queue: String = NewJob.defaultQueue

    @Option(help: "Priority: lower runs first (-32768…32767).")
    var priority: Int = 0

    @Option(name: .customLong("run-at"), help: "When to run, ISO 8601 (2026-12-01T02:00:00Z or with an offset).")
    var runAt: String?

    @Option(name: .customLong("in"), help: "Run after a delay instead: 30s, 10m, 2h, 1d.")
    var delay: DurationArgument?

    @Option(name: .customLong("unique-key"), help: "Idempotency key, e.g. generate-extrato:2026-10.")
    var uniqueKey: String?

    @Option(name: .customLong("max-attempts"), help: "Attempts before the job is discarded (default: the kind's own, else 20).")
    var maxAttempts: Int?

    @Option(name: .customLong("after"), help: "Wait for this job to succeed first: a job id or a unique key (repeatable).")
    var after: [String] = []

    @Flag(name: .customLong("run-if-dependency-fails"), help: "With --after: run once the jobs waited for finish, even if one fails.")
    var runIfDependencyFails = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    static let flags = ["kind": "KIND", "queue": "--queue", "priority": "--priority", "max_attempts": "--max-attempts",
                        "args": "--args", "unique_key": "--unique-key", "depends_on": "--after"]

    func validate() throws {
        if runAt != nil && delay != nil { throw ValidationError("give --run-at or --in, not both") }
        if runIfDependencyFails && after.isEmpty { throw ValidationError("--run-if-dependency-fails needs --after: name the jobs to wait for") }
        if let runAt, ISO8601.parse(runAt) == nil {
            throw ValidationError("--run-at '\(runAt)' is not an ISO 8601 time: use e.g. 2026-12-01T02:00:00Z")
        }
        do { try newJob(maxAttempts: maxAttempts ?? NewJob.defaultMaxAttempts).validate() } catch {
            throw ValidationError("\(Self.flags[error.field ?? ""] ?? "--args"): \(error.message)")
        }
    }

    func newJob(maxAttempts: Int, args: String? = nil) -> NewJob {
        let when = runAt.flatMap(ISO8601.parse) ?? delay.map { Date().addingTimeInterval($0.duration.timeInterval) }
        var job = NewJob(kind: kind, args: args ?? self.args, queue: queue, priority: priority, runAt: when,
                         uniqueKey: uniqueKey, maxAttempts: maxAttempts)
        job.dependsOn = after.map(JobDependency.init(parsing:))
        job.onDependencyFailure = runIfDependencyFails ? .run : .cancel
        return job
    }

    func run() async throws {
        let settings = try database.settings()
        let registry = try JobKindCatalog.registry(settings, database: try settings.requireDatabase())
        let args = BranchArgument.filled(kind: kind, args: self.args, branch: settings.backOffice.branch.id)
        do {
            try registry.validate(kind: kind, args: args)
        } catch {
            let flag = error.field == "kind" ? "KIND" : "--args"
            throw ValidationError("\(flag) (\(error.field ?? "args")): \(error.message)")
        }
        let job = newJob(maxAttempts: maxAttempts ?? registry.maxAttempts(for: kind) ?? NewJob.defaultMaxAttempts, args: args)
        let json = self.json
        try await CommandDatabase.with(settings) { client, logger in
            let result = try await JobStore(client: client, logger: logger).enqueue(job)
            if json {
                try JSONOutput.print(result)
            } else {
                print("job \(result.id) \(result.inserted ? "inserted" : "already exists (unique key \(job.uniqueKey ?? ""))"), state \(result.state.rawValue)")
            }
        }
    }
}
