import ArgumentParser
import JobQueue

struct JobsCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a waiting job, or ask the worker running it to stop (it ends cancelled).")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Job id.") var id: Int64

    func run() async throws {
        let id = self.id
        try await CommandDatabase.with(try database.settings()) { client, logger in
            switch try await JobStore(client: client, logger: logger).cancel(id) {
            case .cancelled: print("job \(id) cancelled")
            case .cancelRequested: print("job \(id) is running: its worker was asked to stop; it will end cancelled")
            case .alreadyFinished(let state): throw CommandFailure("job \(id) already finished: \(state.rawValue)")
            case .notFound: throw CommandFailure("job \(id) not found")
            }
        }
    }
}
