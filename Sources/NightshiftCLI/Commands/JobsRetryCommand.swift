import ArgumentParser
import JobQueue

struct JobsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a discarded or cancelled job again, or every job a filter matches.",
        discussion: """
            The job goes back to available (pending, while a job it waits for has not succeeded). \
            Its attempt count and error history are kept; max_attempts is raised so that it gets \
            --attempts more tries. Jobs cancelled because it failed wait for it again.
            With filters instead of an id (--state, default discarded; --kind, --queue, --since), \
            prints how many jobs match and the first of them; --yes retries them, 1,000 per \
            transaction. A job whose unique key another job holds now is left as it is.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Job id (or filters instead).") var id: Int64?
    @Option(help: "How many more attempts to allow.") var attempts: Int = 1
    @OptionGroup var filters: JobSelectionOptions

    func validate() throws {
        guard attempts >= 1 else { throw ValidationError("--attempts must be at least 1") }
        if id != nil && filters.isGiven { throw ValidationError("give a job id or filters (--state, --kind, --queue, --since), not both") }
        if id == nil && !filters.isGiven { throw ValidationError("give a job id, or filters: e.g. --state discarded --kind prune-cloud") }
        if id != nil && filters.yes { throw ValidationError("--yes is for filters; a retry by id acts at once") }
        _ = try filters.selection(defaults: [.discarded], allowed: [.discarded, .cancelled], action: "retried")
    }

    func run() async throws {
        let (id, attempts) = (self.id, self.attempts)
        let selection = try filters.selection(defaults: [.discarded], allowed: [.discarded, .cancelled], action: "retried")
        let acting = filters.yes
        try await CommandDatabase.with(try database.settings()) { client, logger in
            let store = JobStore(client: client, logger: logger)
            guard let id else {
                JobSelectionOptions.describe(try await store.preview(selection), verb: "retry", acting: acting)
                guard acting else { return }
                print("retried \(try await store.retryAll(selection, extraAttempts: attempts)) job(s)")
                return
            }
            switch try await store.retry(id, extraAttempts: attempts) {
            case .retried: print("job \(id) is \(try await store.job(id)?.state == .pending ? "pending (it waits for its dependencies)" : "available") again")
            case .notRetryable(let state):
                throw CommandFailure("job \(id) is \(state.rawValue): only discarded or cancelled jobs can be retried")
            case .uniqueKeyTaken:
                throw CommandFailure("job \(id) cannot be retried: a newer job holds its unique key (see `nightshift jobs list`)")
            case .notFound: throw CommandFailure("job \(id) not found")
            }
        }
    }
}
