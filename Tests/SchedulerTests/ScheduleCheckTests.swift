import BackOffice
import Cron
import Foundation
import JobQueue
import NightshiftCLI
import ObjectStorage
import Scheduler
import Testing
import TestSupport

@Suite struct ScheduleCheckTests {
    func registry() throws -> JobRegistry {
        var registry = JobRegistry()
        try registry.register(NoopJob())
        let folder = URL(fileURLWithPath: "/nonexistent")
        try BackOfficeKinds.register(in: &registry, settings: BackOfficeSettings(backupDirectory: folder), database: TestDatabase.url,
                                     stores: .init(store: LocalDirectoryStore(root: folder), offsite: nil))
        try TestKinds.register(in: &registry)
        return registry
    }

    func schedule(_ name: String, _ template: Schedule.JobTemplate, enabled: Bool = true) throws -> Schedule {
        Schedule(name: name, cron: try CronSchedule("@daily", timeZone: "UTC"), period: .day(TimeZone(identifier: "UTC")!),
                 jobs: [template], enabled: enabled)
    }

    @Test func aScheduleOfAKindThisBuildDoesNotKnowIsRefusedBeforeItRuns() throws {
        let unknown = try schedule("mystery", .init(kind: "no-such-kind"))
        #expect { try ScheduleCheck.validate([unknown], against: try registry()) } throws: { error in
            "\(error)".contains("schedule 'mystery' enqueues kind 'no-such-kind', which this build does not know")
        }
        // Disabled, it is left alone.
        try ScheduleCheck.validate([try schedule("mystery", .init(kind: "no-such-kind"), enabled: false)], against: try registry())
    }

    @Test func aScheduleWhoseArgumentsDoNotDecodeIsRefusedNamingTheField() throws {
        let bad = try schedule("bad-args", .init(kind: TestKinds.FailJob.kind, args: .object(["failTimes": .string("{date}")])))
        #expect { try ScheduleCheck.validate([bad], against: try registry()) } throws: { error in
            "\(error)".contains("schedule 'bad-args'") && "\(error)".contains("field 'failTimes' should be Int")
        }
        let month13 = try schedule("month-13", .init(kind: BackupMonthJob.kind, args: .object(["year": .integer(2026), "month": .integer(13)])))
        #expect { try ScheduleCheck.validate([month13], against: try registry()) } throws: { error in
            "\(error)".contains("month 13 is out of range")
        }
    }

    @Test func theSeedsSchedulesPassWithTheirTypedJobs() throws {
        let settings = BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent"))
        let schedules = BackOfficeSchedules.make(settings)
        #expect(Set(schedules.flatMap { $0.jobs.map(\.kind) }) == [
            "backup-month", "generate-extrato", "push-metrics", "nightly-dump", "prune-cloud", "restore-drill",
        ])
        try ScheduleCheck.validate(schedules, against: try registry())
    }
}
