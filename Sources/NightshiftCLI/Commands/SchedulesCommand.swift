import ArgumentParser
import Cron
import Foundation
import NightshiftCore
import JobQueue
import Scheduler

struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "Check cron expressions, list schedules, run a slot by hand.",
        subcommands: [SchedulesNextCommand.self, SchedulesListCommand.self, SchedulesRunCommand.self]
    )
}

struct SchedulesNextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next fire times of a cron expression in a time zone.",
        discussion: """
            A wall time skipped by a daylight-saving change fires at the change; a wall time that \
            happens twice fires once, the first time.
            """
    )

    @Argument(help: "Five fields (minute hour day-of-month month day-of-week) or @daily, @monthly…")
    var expression: String
    @Option(help: "IANA time zone.") var tz: String = "UTC"
    @Option(help: "How many fire times.") var count: Int = 5
    @Option(help: "Start after this ISO 8601 time (default: now).") var after: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...1000).contains(count) else { throw ValidationError("--count must be 1…1000") }
        if let after, ISO8601.parse(after) == nil { throw ValidationError("--after '\(after)' is not ISO 8601, e.g. 2026-11-01T00:00:00Z") }
        do { _ = try CronSchedule(expression, timeZone: tz) } catch let error as UnknownTimeZone {
            throw ValidationError("--tz: \(error)")
        } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let schedule: CronSchedule
        do { schedule = try CronSchedule(expression, timeZone: tz) } catch let error as UnknownTimeZone {
            throw ValidationError("--tz: \(error)")
        } catch { throw ValidationError("\(error)") }
        let start = after.flatMap(ISO8601.parse) ?? Date()
        let fires = schedule.next(count, after: start)
        let utc = ISO8601DateFormatter()
        let local = ISO8601DateFormatter()
        local.timeZone = schedule.timeZone
        if json {
            struct Fire: Encodable { var utc: String; var local: String }
            try JSONOutput.print(fires.map { Fire(utc: utc.string(from: $0), local: local.string(from: $0)) })
            return
        }
        guard !fires.isEmpty else { print("'\(expression)' never fires"); return }
        var table = Table("UTC", "LOCAL (\(schedule.timeZone.identifier))")
        for fire in fires { table.add(utc.string(from: fire), local.string(from: fire)) }
        print(table.rendered)
    }
}

struct SchedulesListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Each schedule: cron, zone, next fire, last enqueued slot and its jobs' states.")

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let settings = try database.settings()
        let schedules = try ScheduleCatalog.schedules(settings)
        let json = self.json
        try await CommandDatabase.with(settings) { client, logger in
            let rows = try await SlotStore(jobs: JobStore(client: client, logger: logger)).statuses(of: schedules)
            if json { try JSONOutput.print(rows); return }
            var table = Table("NAME", "CRON", "ZONE", "JOBS", "NEXT FIRE", "LAST SLOT", "LAST JOBS")
            for row in rows {
                table.add(row.name, row.cron, row.timeZone, row.jobs.joined(separator: ", "),
                          row.enabled ? (row.nextFire?.shortISO ?? "never") : "disabled",
                          row.lastSlot?.shortISO ?? "-", row.lastJobStates.isEmpty ? "-" : row.lastJobStates.joined(separator: ","))
            }
            print(table.rendered)
        }
    }
}

struct SchedulesRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Enqueue one slot of a schedule now (a manual retry); idempotent through the unique keys. The slot is recorded as run, so `schedules list` shows it.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Schedule name (see `nightshift schedules list`).") var name: String
    @Option(help: "The slot, ISO 8601 (default: the latest slot at or before now).") var slot: String?

    func validate() throws {
        if let slot, ISO8601.parse(slot) == nil { throw ValidationError("--slot '\(slot)' is not ISO 8601, e.g. 2026-11-01T05:00:00Z") }
    }

    func run() async throws {
        let settings = try database.settings()
        let schedules = try ScheduleCatalog.schedules(settings)
        guard let schedule = schedules.first(where: { $0.name == name }) else {
            throw ValidationError("no schedule named '\(name)': use one of \(schedules.map(\.name).joined(separator: ", "))")
        }
        let now = Date()
        let slotDate = try slot.flatMap(ISO8601.parse) ?? schedule.cron.previous(atOrBefore: now) ?? {
            throw CommandFailure("schedule \(name) has no slot in the last year: pass --slot")
        }()
        if let slot { try Self.check(slot: slot, at: slotDate, of: schedule, now: now) }
        let jobs = try schedule.newJobs(for: slotDate)
        try await CommandDatabase.with(settings) { client, logger in
            let store = JobStore(client: client, logger: logger)
            let results = try await SlotStore(jobs: store).runNow(schedule, slot: slotDate, by: "cli \(Operator.name)")
            for (job, result) in zip(jobs, results) {
                print("\(job.kind) \(job.uniqueKey ?? ""): job \(result.id) \(result.inserted ? "inserted" : "already exists"), state \(result.state.rawValue)")
            }
        }
    }

    /// `--slot` must be one of the cron's slots at or before now: a future slot would run a
    /// month's close before the month is over and take the real slot's unique keys.
    static func check(slot text: String, at slot: Date, of schedule: Schedule, now: Date) throws {
        let latest = schedule.cron.previous(atOrBefore: now).map { ISO8601DateFormatter().string(from: $0) } ?? "none in the last year"
        if slot > now {
            throw ValidationError("--slot \(text) is in the future: a slot can be run once it has come (the latest slot of \(schedule.name) is \(latest))")
        }
        if schedule.cron.previous(atOrBefore: slot) != slot {
            throw ValidationError("--slot \(text) is not a slot of \(schedule.name) (cron '\(schedule.cron.expression)' in \(schedule.cron.timeZone.identifier)): "
                + "use one of its slots, e.g. the latest, \(latest) (`nightshift schedules list`)")
        }
    }
}
