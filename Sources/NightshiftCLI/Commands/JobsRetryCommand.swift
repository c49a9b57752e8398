import ArgumentParser
import JobQueue

struct JobsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a discarded or cancelled job again, or every job a filter matches.",
        discussion: """
            The job goes back to available (pending, while a job it waits for has not succeeded). \
            Its attempt count and error history are kept; max_attempts is raised so that it gets \
            --attempts more tries. Jobs cancelled because it failed wait for it again (not those \
            an operator cancelled; one whose unique key another job holds stays cancelled, and is \
            listed). A job whose dependency failed is refused: retry the dependency instead.
            With filters instead of an id (--state, default discarded; --kind, --queue, --since), \
            prints how many jobs match and the first of them; --yes retries them, 1,000 per \
            transaction; rows a worker holds at that moment are revisited. Each job left as it \
            was is listed with why (its unique key is held, its state changed, a dependency failed).
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
        _ = try filters.selection(.retry)
    }

    func run() async throws {
        let (id, attempts) = (self.id, self.attempts)
        let selection = try filters.selection(.retry)
        let acting = filters.yes
        try await CommandDatabase.with(try database.settings()) { client, logger in
            let store = JobStore(client: client, logger: logger)
            guard let id else {
                JobSelectionOptions.describe(try await store.preview(selection), verb: "retry", acting: acting)
                guard acting else { return }
                JobSelectionOptions.describe(try await store.perform(selection, extraAttempts: attempts), action: .retry)
                return
            }
            let report = try await store.retryReport(id, extraAttempts: attempts)
            switch report.outcomes[id] ?? .notFound {
            case .retried:
                print("job \(id) is \(report.states[id] == .pending ? "pending (it waits for its dependencies)" : "available") again")
                if !report.dependents.revived.isEmpty {
                    print("\(report.dependents.revived.count) job(s) its failure had cancelled wait for it again: \(report.dependents.revived.prefix(20).map(String.init).joined(separator: ", "))")
                }
                for (dependent, why) in report.dependents.skipped {
                    switch why {
                    case .uniqueKeyHeld(let holder):
                        print("job \(dependent), which waited for it, stays cancelled: job \(holder.map(String.init) ?? "?") holds its unique key")
                    case .dependencyFailed(let other):
                        print("job \(dependent), which waited for it, stays cancelled: job \(other), which it also waits for, failed")
                    }
                }
            case .notRetryable(let state):
                throw CommandFailure("job \(id) is \(state.rawValue): only \(BulkAction.retry.allowedStates.map(\.rawValue).joined(separator: " or ")) jobs can be retried")
            case .uniqueKeyTaken:
                throw CommandFailure("job \(id) cannot be retried: another job holds its unique key (see `nightshift jobs list`)")
            case .dependencyFailed(let dependency):
                throw CommandFailure("job \(id) cannot be retried: job \(dependency), which it waits for, failed; run `nightshift jobs retry \(dependency)` instead (it brings job \(id) back)")
            case .notFound: throw CommandFailure("job \(id) not found")
            }
        }
    }
}
