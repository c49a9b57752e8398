import BackOffice
import Cron
import Foundation
import JobQueue
import Scheduler
import Testing
import TestSupport

@Suite struct ScheduleCheckTests {
    func registry() throws -> JobRegistry {
        var registry = JobRegistry()
        try registry.register(NoopJob())
        try BackOfficeKinds.register(in: &registry, settings: BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent")),
                                     database: TestDatabase.url)
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

    @Test func theMonthCloseSchedulesPassWithTheirTypedJobs() throws {
        let settings = BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent"))
        let monthClose = BackOfficeSchedules.make(settings).filter { $0.name.hasPrefix("monthly-extrato") }
        #expect(monthClose.count == 2)
        try ScheduleCheck.validate(monthClose, against: try registry())
    }
}
