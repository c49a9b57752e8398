import ArgumentParser
import JobQueue

struct JobsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a discarded or cancelled job again.",
        discussion: """
            The job goes back to available. Its attempt count and error history are kept; \
            max_attempts is raised so that it gets --attempts more tries.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Job id.") var id: Int64
    @Option(help: "How many more attempts to allow.") var attempts: Int = 1

    func validate() throws {
        guard attempts >= 1 else { throw ValidationError("--attempts must be at least 1") }
    }

    func run() async throws {
        let (id, attempts) = (self.id, self.attempts)
        try await CommandDatabase.with(try database.settings()) { client, logger in
            switch try await JobStore(client: client, logger: logger).retry(id, extraAttempts: attempts) {
            case .retried: print("job \(id) is available again")
            case .notRetryable(let state):
                throw CommandFailure("job \(id) is \(state.rawValue): only discarded or cancelled jobs can be retried")
            case .uniqueKeyTaken:
                throw CommandFailure("job \(id) cannot be retried: a newer job holds its unique key (see `nightshift jobs list`)")
            case .notFound: throw CommandFailure("job \(id) not found")
            }
        }
    }
}
