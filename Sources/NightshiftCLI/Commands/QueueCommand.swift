import ArgumentParser
import Foundation
import JobQueue

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Look at queues, pause and resume them.",
        subcommands: [QueueStatsCommand.self, QueuePauseCommand.self, QueueResumeCommand.self, QueuePausedCommand.self])
}

struct QueueStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Jobs per queue and state, and the age of the oldest available job.")

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let json = self.json
        try await CommandDatabase.with(try database.settings()) { client, logger in
            let stats = try await JobStore(client: client, logger: logger).queueStats()
            if json { try JSONOutput.print(stats); return }
            guard !stats.isEmpty else { print("no jobs"); return }
            var table = Table("QUEUE", "PENDING", "AVAILABLE", "SCHEDULED", "RUNNING", "RETRYABLE", "SUCCEEDED", "DISCARDED", "CANCELLED", "OLDEST AVAILABLE")
            for queue in stats {
                func count(_ state: JobState) -> String { String(queue.counts[state.rawValue] ?? 0) }
                let age = queue.oldestAvailableAgeSeconds.map { String(format: "%.1fs", max(0, $0)) } ?? "-"
                table.add(queue.queue, count(.pending), count(.available), count(.scheduled), count(.running), count(.retryable),
                          count(.succeeded), count(.discarded), count(.cancelled), age)
            }
            print(table.rendered)
        }
    }
}
