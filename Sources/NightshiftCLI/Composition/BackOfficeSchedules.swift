import BackOffice
import Cron
import Foundation
import JobQueue
import Scheduler

/// The schedules the seeds describe, naming their jobs by type.
public enum BackOfficeSchedules {
    /// Which of them run (`ENABLE_MONTHLY_EXTRATO_JOB`, `ENABLE_NIGHTLY_DUMP_JOB`,
    /// `ENABLE_METRICS_PUSH_JOB`, `ENABLE_CLOUD_PRUNE_JOB`, `ENABLE_RESTORE_DRILL_JOB`; all on
    /// by default).
    public struct Switches: Sendable, Equatable {
        public var monthlyExtrato = true
        public var nightlyDump = true
        public var metricsPush = true
        public var cloudPrune = true
        public var restoreDrill = true
        public init() {}
    }

    public static func make(_ settings: BackOfficeSettings, switches: Switches = .init(), keyNamespace: String? = nil) -> [Schedule] {
        let monthClose: [Schedule.JobTemplate] = [
            .job(BackupMonthJob.self, priority: 0) { slot in .init(year: slot.month.year, month: slot.month.month, branch: settings.branch.id) },
            // Waits for the month's backup-month job (a job dependency): it runs in the
            // transaction after the backup succeeds, and is cancelled with the backup's reason
            // if the backup fails for good. generate-extrato also checks the backup verifies.
            .job(GenerateExtratoJob.self, priority: 1, after: [BackupMonthJob.kind]) { slot in
                .init(year: slot.month.year, month: slot.month.month, branch: settings.branch.id)
            },
        ]
        let branch = settings.branchTimeZone
        func cron(_ expression: String, _ zone: TimeZone) -> CronSchedule {
            guard let parsed = try? CronExpression(expression) else { preconditionFailure("bad built-in cron '\(expression)'") }
            return CronSchedule(parsed, timeZone: zone)
        }
        let utc = TimeZone(identifier: "UTC")!
        return [
            Schedule(name: "monthly-extrato", cron: cron("0 2 1 * *", settings.timeZone),
                     period: .previousMonth(settings.timeZone), jobs: monthClose, catchUp: .missed(maximum: 12),
                     enabled: switches.monthlyExtrato, keyNamespace: keyNamespace),
            // The day-2 safety net: same jobs, same unique keys. If day 1 succeeded nothing new
            // runs; if it failed for good or never ran, it runs now. Both catch up every month
            // missed since their last slot (up to a year), each month once by its unique keys.
            Schedule(name: "monthly-extrato-safety-net", cron: cron("0 3 2 * *", utc),
                     period: .previousMonth(settings.timeZone), jobs: monthClose, catchUp: .missed(maximum: 12),
                     enabled: switches.monthlyExtrato, keyNamespace: keyNamespace),
            Schedule(name: "push-metrics", cron: cron("45 21 * * *", branch), period: .day(branch),
                     jobs: [.job(PushMetricsJob.self) { slot in .init(date: slot.date.description) }],
                     catchUp: .within(.seconds(14 * 86_400)), enabled: switches.metricsPush, keyNamespace: keyNamespace),
            Schedule(name: "nightly-dump", cron: cron("0 22 * * *", branch), period: .day(branch),
                     jobs: [.job(NightlyDumpJob.self) { slot in .init(date: slot.date.description, type: .daily, branch: settings.branch.id) }],
                     enabled: switches.nightlyDump, keyNamespace: keyNamespace),
            Schedule(name: "prune-cloud", cron: cron("0 2 * * 0", branch), period: .day(branch),
                     jobs: [.job(PruneCloudJob.self) { slot in .init(date: slot.date.description) }],
                     enabled: switches.cloudPrune, keyNamespace: keyNamespace),
            // Saturdays, after Friday night's dump: the latest completed dump is restored and counted.
            Schedule(name: "restore-drill", cron: cron("0 4 * * 6", branch), period: .day(branch),
                     jobs: [.job(RestoreDrillJob.self) { slot in .init(date: slot.date.description, branch: settings.branch.id) }],
                     enabled: switches.restoreDrill, keyNamespace: keyNamespace),
        ]
    }
}
