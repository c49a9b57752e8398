import Foundation
import JobQueue

/// Checks schedules against the job kinds this build runs, before a scheduler starts: a
/// schedule whose kind no worker knows would enqueue jobs that are discarded night after night.
public enum ScheduleCheck {
    /// Throws for the first enabled schedule whose job kind `kinds` does not know, or whose
    /// arguments for its next slot do not decode as that kind's.
    public static func validate(_ schedules: [Schedule], against kinds: JobRegistry, now: Date = Date()) throws(ScheduleConfigurationError) {
        for schedule in schedules where schedule.enabled {
            for template in schedule.jobs {
                guard kinds.contains(template.kind) else {
                    throw ScheduleConfigurationError(
                        "schedule '\(schedule.name)' enqueues kind '\(template.kind)', which this build does not know: use one of \(kinds.kinds.joined(separator: ", ")), or disable the schedule")
                }
            }
            guard let slot = schedule.cron.next(after: now) else { continue }
            do {
                for job in try schedule.newJobs(for: slot) { try kinds.validate(kind: job.kind, args: job.args) }
            } catch {
                throw ScheduleConfigurationError("schedule '\(schedule.name)': \(error)")
            }
        }
    }
}
