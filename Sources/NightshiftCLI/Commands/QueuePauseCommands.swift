import ArgumentParser
import Foundation
import JobQueue

struct QueuePauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Stop every worker, on every machine, from claiming a queue's jobs until it is resumed.",
        discussion: """
            Kept in the database (queue_pauses): it holds across restarts. Jobs already running \
            finish; enqueues still go in and wait. The dashboard's home page shows the pause, and \
            /metrics has nightshift_queue_paused{queue}.
            """)
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The queue.") var queue: String
    @Option(help: "Why, for the other operators (shown on the dashboard).") var reason: String?

    func run() async throws {
        let (queue, reason) = (self.queue, self.reason)
        try await CommandDatabase.with(try database.settings()) { client, logger in
            let (pause, isNew) = try await JobStore(client: client, logger: logger).pause(queue: queue, by: Operator.name, reason: reason)
            if isNew {
                print("queue \(queue) paused: no worker claims from it until `nightshift queue resume \(queue)`")
            } else {
                print("queue \(queue) was already paused by \(pause.pausedBy) at \(pause.pausedAt.shortISO)\(pause.reason.map { ": \($0)" } ?? "")")
            }
        }
    }
}

struct QueueResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Let workers claim from a paused queue again (they are woken at once).")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The queue.") var queue: String

    func run() async throws {
        let queue = self.queue
        try await CommandDatabase.with(try database.settings()) { client, logger in
            guard let lifted = try await JobStore(client: client, logger: logger).resume(queue: queue) else {
                throw CommandFailure("queue \(queue) is not paused: see `nightshift queue paused`")
            }
            print("queue \(queue) resumed (it was paused by \(lifted.pausedBy) at \(lifted.pausedAt.shortISO))")
        }
    }
}

struct QueuePausedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "paused", abstract: "List paused queues: who paused them, when and why.")
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let json = self.json
        try await CommandDatabase.with(try database.settings()) { client, logger in
            let pauses = try await JobStore(client: client, logger: logger).pausedQueues()
            if json { try JSONOutput.print(pauses); return }
            guard !pauses.isEmpty else { print("no queue is paused"); return }
            var table = Table("QUEUE", "PAUSED AT", "BY", "REASON")
            for pause in pauses { table.add(pause.queue, pause.pausedAt.shortISO, pause.pausedBy, pause.reason ?? "-") }
            print(table.rendered)
        }
    }
}

/// Who a CLI action is recorded as: `user@host`. `$USER` (or `$LOGNAME`) when set, else the
/// OS account's name (a cron job or a container often sets neither), and the numeric uid only
/// when the account has no entry.
enum Operator {
    static var name: String {
        let environment = ProcessInfo.processInfo.environment
        let user = [environment["USER"], environment["LOGNAME"]].compactMap { $0 }.first { !$0.isEmpty } ?? accountName
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    static var accountName: String {
        let uid = getuid()
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid\(uid)" }
        return String(cString: name)
    }
}
