import ArgumentParser
import Foundation
import JobQueue

struct JobsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one job with its errors per attempt.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Job id.") var id: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let (id, json) = (self.id, self.json)
        try await CommandDatabase.with(try database.settings()) { client, logger in
            guard let job = try await JobStore(client: client, logger: logger).job(id) else {
                throw CommandFailure("job \(id) not found")
            }
            if json { try JSONOutput.print(job); return }
            let fields: [(String, String?)] = [
                ("id", String(job.id)), ("kind", job.kind), ("queue", job.queue), ("state", job.state.rawValue),
                ("args", job.args), ("priority", String(job.priority)),
                ("attempt", "\(job.attempt) of \(job.maxAttempts)"), ("run at", job.runAt.shortISO),
                ("unique key", job.uniqueKey), ("created at", job.createdAt.shortISO),
                ("attempted at", job.attemptedAt?.shortISO), ("finished at", job.finishedAt?.shortISO),
                ("heartbeat at", job.heartbeatAt?.shortISO), ("locked by", job.lockedBy),
                ("cancel requested", job.cancelRequestedAt?.shortISO), ("result", job.result),
                ("last error", job.lastError), ("progress", job.progress.map(Self.progressLine)),
                ("snoozed", job.snoozes > 0 ? "\(job.snoozes) time(s), last: \(job.snoozeReason ?? "-") (not counted as attempts)" : nil),
            ]
            for (name, value) in fields where (name != "progress" && name != "snoozed") || value != nil { print("\(name.padding(toLength: 17, withPad: " ", startingAt: 0)) \(value ?? "-")") }
            let store = JobStore(client: client, logger: logger)
            let (dependencies, dependents) = try await (store.dependencies(of: id), store.dependents(of: id))
            for (title, jobs) in [("waits for", dependencies), ("waited for by", dependents)] where !jobs.isEmpty {
                print("\n\(title):")
                var table = Table("ID", "KIND", "STATE", "FINISHED")
                for job in jobs { table.add(String(job.id), job.kind, job.state.rawValue, job.finishedAt?.shortISO ?? "-") }
                print(table.rendered)
            }
            if !job.errors.isEmpty {
                print("\nerrors:")
                var table = Table("ATTEMPT", "AT", "WORKER", "ERROR")
                for error in job.errors { table.add(String(error.attempt), error.at, error.worker ?? "-", error.error) }
                print(table.rendered)
            }
        }
    }

    /// "1.2 GB of ~3.0 GB (40 %), pg_dump, attempt 1, reported 2026-12-02 01:10:07".
    static func progressLine(_ reported: JobProgress) -> String {
        "\(reported.progress.text)\(reported.progress.step.map { ", \($0)" } ?? ""), attempt \(reported.attempt), reported \(reported.at.shortISO)"
    }
}
