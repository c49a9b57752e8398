import ArgumentParser
import JobQueue

struct JobsCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a waiting job, or ask the worker running it to stop (it ends cancelled); or every job a filter matches.",
        discussion: """
            With filters instead of an id (--state, default pending, available, scheduled and \
            retryable; --kind, --queue, --since), prints how many jobs match and the first of \
            them; --yes cancels them, 1,000 per transaction; rows a worker holds at that moment are \
            revisited, and each job left as it was is listed with why. --state running asks their \
            workers to stop them. Jobs waiting for a cancelled job are cancelled too, with the reason.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Job id (or filters instead).") var id: Int64?
    @OptionGroup var filters: JobSelectionOptions

    func validate() throws {
        if id != nil && filters.isGiven { throw ValidationError("give a job id or filters (--state, --kind, --queue, --since), not both") }
        if id == nil && !filters.isGiven { throw ValidationError("give a job id, or filters: e.g. --queue reports --kind noop") }
        if id != nil && filters.yes { throw ValidationError("--yes is for filters; a cancel by id acts at once") }
        _ = try filters.selection(.cancel)
    }

    func run() async throws {
        let id = self.id
        let selection = try filters.selection(.cancel)
        let acting = filters.yes
        try await CommandDatabase.with(try database.settings()) { client, logger in
            let store = JobStore(client: client, logger: logger)
            guard let id else {
                JobSelectionOptions.describe(try await store.preview(selection), verb: "cancel", acting: acting)
                guard acting else { return }
                JobSelectionOptions.describe(try await store.perform(selection), action: .cancel)
                return
            }
            switch try await store.cancel(id) {
            case .cancelled: print("job \(id) cancelled")
            case .cancelRequested: print("job \(id) is running: its worker was asked to stop; it will end cancelled")
            case .alreadyFinished(let state): throw CommandFailure("job \(id) already finished: \(state.rawValue)")
            case .notFound: throw CommandFailure("job \(id) not found")
            }
        }
    }
}
