import Cron
import Foundation

/// The schedules the seeds describe, as Nightshift schedules.
public enum DefaultSchedules {
    /// The month close runs on day 1; its extrato waits this long after the backup's slot, and
    /// generate-extrato itself refuses to run until the month's backup verifies, retrying.
    public static let extratoDelayAfterBackup: Duration = .seconds(120)

    public static func make(_ settings: SchedulerSettings) -> [Schedule] {
        let monthClose: [Schedule.JobTemplate] = [
            .init(kind: "backup-month", args: .object(["year": .string("{year}"), "month": .string("{month}")]), priority: 0),
            .init(kind: "generate-extrato", args: .object(["year": .string("{year}"), "month": .string("{month}")]),
                  priority: 1, delay: extratoDelayAfterBackup),
        ]
        let branch = settings.branchTimeZone
        func cron(_ expression: String, _ zone: TimeZone) -> CronSchedule {
            CronSchedule(try! CronExpression(expression), timeZone: zone)
        }
        let utc = TimeZone(identifier: "UTC")!
        return [
            Schedule(name: "monthly-extrato", cron: cron("0 2 1 * *", settings.timeZone),
                     period: .previousMonth(settings.timeZone), jobs: monthClose,
                     enabled: settings.monthlyExtrato, keyNamespace: settings.keyNamespace),
            // The day-2 safety net: same jobs, same unique keys. If day 1 succeeded nothing new
            // runs; if it failed for good or never ran, it runs now.
            Schedule(name: "monthly-extrato-safety-net", cron: cron("0 3 2 * *", utc),
                     period: .previousMonth(settings.timeZone), jobs: monthClose,
                     enabled: settings.monthlyExtrato, keyNamespace: settings.keyNamespace),
            Schedule(name: "push-metrics", cron: cron("45 21 * * *", branch), period: .day(branch),
                     jobs: [.init(kind: "push-metrics", args: .object(["date": .string("{date}")]))],
                     catchUp: .within(.seconds(14 * 86_400)), enabled: settings.metricsPush,
                     keyNamespace: settings.keyNamespace),
            Schedule(name: "nightly-dump", cron: cron("0 22 * * *", branch), period: .day(branch),
                     jobs: [.init(kind: "nightly-dump", args: .object(["date": .string("{date}")]))],
                     enabled: settings.nightlyDump, keyNamespace: settings.keyNamespace),
            Schedule(name: "prune-cloud", cron: cron("0 2 * * 0", branch), period: .day(branch),
                     jobs: [.init(kind: "prune-cloud", args: .object(["date": .string("{date}")]))],
                     enabled: settings.cloudPrune, keyNamespace: settings.keyNamespace),
        ]
    }
}
