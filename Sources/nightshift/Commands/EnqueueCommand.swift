import ArgumentParser
import Foundation
import JobQueue

struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Add a job. With --unique-key, enqueuing the same key again returns the existing job.",
        discussion: """
            A unique key is held while its job is available, scheduled, running, retryable or \
            succeeded; once that job is discarded or cancelled the key can be enqueued again.
            Prints the job id, its state and whether it was inserted or matched an existing job.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "Job kind, e.g. noop, backup-month.")
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

    @Option(name: .customLong("max-attempts"), help: "Attempts before the job is discarded.")
    var maxAttempts: Int = NewJob.defaultMaxAttempts

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if runAt != nil && delay != nil { throw ValidationError("give --run-at or --in, not both") }
        if let runAt, ISO8601.parse(runAt) == nil {
            throw ValidationError("--run-at '\(runAt)' is not an ISO 8601 time: use e.g. 2026-12-01T02:00:00Z")
        }
        do { try newJob().validate() } catch { throw ValidationError(error.description) }
    }

    func newJob() -> NewJob {
        let when = runAt.flatMap(ISO8601.parse) ?? delay.map { Date().addingTimeInterval($0.duration.timeInterval) }
        return NewJob(kind: kind, args: args, queue: queue, priority: priority, runAt: when,
                      uniqueKey: uniqueKey, maxAttempts: maxAttempts)
    }

    func run() async throws {
        let job = newJob()
        let json = self.json
        try await Database.with(database) { client, logger in
            let result = try await JobStore(client: client, logger: logger).enqueue(job)
            if json {
                try JSONOutput.print(result)
            } else {
                print("job \(result.id) \(result.inserted ? "inserted" : "already exists (unique key \(job.uniqueKey ?? ""))"), state \(result.state.rawValue)")
            }
        }
    }
}

extension EnqueueResult: Encodable {
    enum CodingKeys: String, CodingKey { case id, state, inserted }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(state, forKey: .state)
        try container.encode(inserted, forKey: .inserted)
    }
}

enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
