import Cron
import Foundation
import JobQueue
import NightshiftCore
import Yams

/// A YAML schedules file (`SCHEDULES_FILE`): entries replace the default schedule of the same
/// name, or add a new one. See ops/schedules.example.yaml.
public enum ScheduleFile {
    struct Document: Decodable {
        var schedules: [Entry]
    }

    struct Entry: Decodable {
        var name: String
        var cron: String?
        var timezone: String?
        var period: String?
        var periodTimezone: String?
        var catchUp: String?
        var enabled: Bool?
        var keyNamespace: String?
        var jobs: [JobEntry]?

        enum CodingKeys: String, CodingKey {
            case name, cron, timezone, period, enabled, jobs
            case periodTimezone = "period_timezone", catchUp = "catch_up", keyNamespace = "key_namespace"
        }
    }

    struct JobEntry: Decodable {
        var kind: String
        var args: JSONValue?
        var queue: String?
        var priority: Int?
        var maxAttempts: Int?
        var delay: String?
        /// Kinds of earlier jobs of the same schedule this one waits for.
        var after: [String]?

        enum CodingKeys: String, CodingKey {
            case kind, args, queue, priority, delay, after
            case maxAttempts = "max_attempts"
        }
    }

    /// Reads the file at `path` and applies it to `defaults`.
    public static func load(path: String, to defaults: [Schedule], settings: SchedulerSettings) throws(ScheduleConfigurationError) -> [Schedule] {
        guard let yaml = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ScheduleConfigurationError("SCHEDULES_FILE=\(path) cannot be read: check the path, or unset it to use the defaults", setting: "SCHEDULES_FILE")
        }
        return try apply(yaml: yaml, to: defaults, settings: settings, source: "SCHEDULES_FILE \(path)")
    }

    /// Applies a file's entries to `defaults`.
    public static func apply(yaml: String, to defaults: [Schedule], settings: SchedulerSettings, source: String = "SCHEDULES_FILE") throws(ScheduleConfigurationError) -> [Schedule] {
        let document: Document
        do {
            let decoder = YAMLDecoder()
            document = try decoder.decode(Document.self, from: yaml, userInfo: [:])
        } catch let error as DecodingError {
            throw ScheduleConfigurationError("\(source): \(describe(error))", setting: "SCHEDULES_FILE")
        } catch {
            throw ScheduleConfigurationError("\(source) is not valid YAML: \(error)", setting: "SCHEDULES_FILE")
        }
        var schedules = defaults
        for (index, entry) in document.schedules.enumerated() {
            let at = "\(source): schedules[\(index)] (\(entry.name))"
            let existing = schedules.firstIndex { $0.name == entry.name }
            let base = existing.map { schedules[$0] }
            let schedule = try build(entry, base: base, settings: settings, at: at)
            if let existing { schedules[existing] = schedule } else { schedules.append(schedule) }
        }
        return schedules
    }

    private static func build(_ entry: Entry, base: Schedule?, settings: SchedulerSettings, at: String) throws(ScheduleConfigurationError) -> Schedule {
        guard !entry.name.isEmpty else { throw ScheduleConfigurationError("\(at): name must not be empty") }
        let zone: TimeZone
        if let identifier = entry.timezone {
            guard let parsed = TimeZone(identifier: identifier) else {
                throw ScheduleConfigurationError("\(at): timezone '\(identifier)' is not an IANA time zone, e.g. America/Sao_Paulo")
            }
            zone = parsed
        } else {
            zone = base?.cron.timeZone ?? settings.timeZone
        }
        let cron: CronSchedule
        if let text = entry.cron {
            do { cron = CronSchedule(try CronExpression(text), timeZone: zone) } catch {
                throw ScheduleConfigurationError("\(at): cron: \(error)")
            }
        } else if let base {
            cron = CronSchedule(base.cron.expression, timeZone: zone)
        } else {
            throw ScheduleConfigurationError("\(at): cron is required for a new schedule, e.g. cron: \"0 22 * * *\"")
        }
        var periodZone = zone
        if let identifier = entry.periodTimezone {
            guard let parsed = TimeZone(identifier: identifier) else {
                throw ScheduleConfigurationError("\(at): period_timezone '\(identifier)' is not an IANA time zone")
            }
            periodZone = parsed
        }
        let period: SlotPeriod
        switch entry.period {
        case nil:
            // Keep the built-in's kind of period, in the zone this entry gives.
            switch base?.period {
            case .previousMonth? where entry.timezone != nil || entry.periodTimezone != nil: period = .previousMonth(periodZone)
            case .day? where entry.timezone != nil || entry.periodTimezone != nil: period = .day(periodZone)
            case let existing?: period = existing
            case nil: period = .day(periodZone)
            }
        case "previous-month"?: period = .previousMonth(periodZone)
        case "day"?: period = .day(periodZone)
        case "slot"?: period = .slot
        case let other?:
            throw ScheduleConfigurationError("\(at): period '\(other)' is not one of previous-month, day, slot")
        }
        let catchUp: Schedule.CatchUp
        if let text = entry.catchUp {
            if let count = Int(text), count >= 0 {
                catchUp = .lastSlots(count)
            } else if text == "missed" {
                catchUp = .missed(maximum: 12)
            } else if let duration = DurationText.parse(text) {
                catchUp = .within(duration)
            } else {
                throw ScheduleConfigurationError("\(at): catch_up '\(text)' must be a number of slots (1), a duration (14d) or missed (every slot since the last one fired, at most 12)")
            }
        } else {
            catchUp = base?.catchUp ?? .lastSlots(1)
        }
        var jobs = base?.jobs ?? []
        if let entries = entry.jobs {
            jobs = []
            for (index, job) in entries.enumerated() {
                let jobAt = "\(at): jobs[\(index)]"
                guard !job.kind.isEmpty else { throw ScheduleConfigurationError("\(jobAt): kind must not be empty") }
                var delay = Duration.zero
                if let text = job.delay {
                    guard let parsed = DurationText.parse(text) else {
                        throw ScheduleConfigurationError("\(jobAt): delay '\(text)' is not a duration like 2m")
                    }
                    delay = parsed
                }
                if case .some(let args) = job.args, case .object = args {} else if job.args != nil {
                    throw ScheduleConfigurationError("\(jobAt): args must be a mapping, e.g. args: {date: \"{date}\"}")
                }
                for kind in job.after ?? [] where !jobs.contains(where: { $0.kind == kind }) {
                    throw ScheduleConfigurationError("\(jobAt): after names '\(kind)', which is not an earlier job of this schedule: list it above")
                }
                jobs.append(Schedule.JobTemplate(
                    kind: job.kind, args: job.args ?? .object([:]), queue: job.queue ?? NewJob.defaultQueue,
                    priority: job.priority ?? 0, maxAttempts: job.maxAttempts, delay: delay, after: job.after ?? []))
            }
        }
        guard !jobs.isEmpty else { throw ScheduleConfigurationError("\(at): jobs must list at least one job") }
        return Schedule(
            name: entry.name, cron: cron, period: period, jobs: jobs, catchUp: catchUp,
            enabled: entry.enabled ?? base?.enabled ?? true,
            keyNamespace: entry.keyNamespace ?? base?.keyNamespace ?? settings.keyNamespace)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = path(context)
            return "\(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is required"
        case let .typeMismatch(type, context): return "\(path(context)) should be \(type)"
        case let .valueNotFound(type, context): return "\(path(context)) is empty, expected \(type)"
        case let .dataCorrupted(context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
