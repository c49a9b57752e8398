import ArgumentParser
import Foundation
import JobQueue

struct JobsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs, newest first.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only jobs in these states (comma-separated): \(JobState.allCases.map(\.rawValue).joined(separator: ", ")).")
    var state: String?
    @Option(help: "Only jobs of this kind.") var kind: String?
    @Option(help: "Only jobs of this queue.") var queue: String?
    @Option(help: "Most jobs to show.") var limit: Int = 50
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        _ = try states()
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1…10000, got \(limit)") }
    }

    func states() throws -> [JobState] {
        guard let state else { return [] }
        return try state.split(separator: ",").map { name in
            guard let value = JobState(rawValue: String(name).trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--state '\(name)' is not a job state: use \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
    }

    func run() async throws {
        let filter = JobFilter(states: try states(), kind: kind, queue: queue, limit: limit)
        let json = self.json
        try await CommandDatabase.with(try database.settings()) { client, logger in
            let jobs = try await JobStore(client: client, logger: logger).jobs(filter)
            if json { try JSONOutput.print(jobs); return }
            guard !jobs.isEmpty else { print("no jobs"); return }
            var table = Table("ID", "KIND", "QUEUE", "STATE", "ATTEMPT", "RUN AT", "UNIQUE KEY", "LAST ERROR")
            for job in jobs {
                table.add(String(job.id), job.kind, job.queue, job.state.rawValue, "\(job.attempt)/\(job.maxAttempts)",
                          job.runAt.shortISO, job.uniqueKey ?? "-", String((job.lastError ?? "-").prefix(60)))
            }
            print(table.rendered)
        }
    }
}
