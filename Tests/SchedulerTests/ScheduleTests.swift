import BackOffice
import Cron
import Database
import Foundation
import JobQueue
import NightshiftCLI
import Scheduler
import Testing

@Suite struct ScheduleTests {
    let saoPaulo = TimeZone(identifier: "America/Sao_Paulo")!
    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func previousMonthIsTheMonthBeforeTheSlotsLocalDate() {
        let period = SlotPeriod.previousMonth(saoPaulo)
        #expect(period.resolve(utc("2026-11-01T05:00:00Z")).label == "2026-10")
        #expect(period.resolve(utc("2027-01-01T05:00:00Z")).label == "2026-12")
        // Day-2 03:00 UTC is still day 2 (00:00) in São Paulo: the same month as day 1.
        #expect(period.resolve(utc("2026-11-02T03:00:00Z")).label == "2026-10")
        #expect(period.resolve(utc("2026-11-02T03:00:00Z")).templateValues["month"] == .integer(10))
    }

    @Test func defaultsFollowTheSeeds() throws {
        let settings = BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent"), timeZone: saoPaulo,
                                          branchTimeZone: TimeZone(identifier: "Asia/Kolkata")!)
        var switches = BackOfficeSchedules.Switches()
        switches.nightlyDump = false
        let schedules = BackOfficeSchedules.make(settings, switches: switches)
        let byName = Dictionary(uniqueKeysWithValues: schedules.map { ($0.name, $0) })
        let monthly = try #require(byName["monthly-extrato"])
        #expect(monthly.cron.next(after: utc("2026-11-23T00:00:00Z")) == utc("2026-12-01T05:00:00Z"))
        let net = try #require(byName["monthly-extrato-safety-net"])
        #expect(net.cron.next(after: utc("2026-11-23T00:00:00Z")) == utc("2026-12-02T03:00:00Z"))
        #expect(byName["push-metrics"]?.cron.next(after: utc("2026-11-23T00:00:00Z")) == utc("2026-11-23T16:15:00Z"))
        #expect(byName["nightly-dump"]?.enabled == false)
        #expect(byName["push-metrics"]?.catchUp == .within(.seconds(14 * 86_400)))

        // Day 1 and the day-2 safety net give the same jobs the same keys.
        let dayOne = try monthly.newJobs(for: utc("2026-11-01T05:00:00Z"))
        let dayTwo = try net.newJobs(for: utc("2026-11-02T03:00:00Z"))
        #expect(dayOne.map(\.uniqueKey) == ["backup-month:2026-10", "generate-extrato:2026-10"])
        #expect(dayOne.map(\.uniqueKey) == dayTwo.map(\.uniqueKey))
        // The branch goes with the month's jobs (break-office2 18), as with the dumps.
        #expect(dayOne[0].args == #"{"branch":"default","month":10,"year":2026}"#)
        #expect(dayOne[1].args == #"{"branch":"default","month":10,"year":2026}"#)
        // The extrato waits for its month's backup (a dependency by the backup's unique key), not
        // for a fixed offset; day 2 names the same backup key.
        #expect(dayOne[0].priority < dayOne[1].priority)
        #expect(dayOne[0].runAt == nil && dayOne[1].runAt == nil)
        #expect(dayOne[0].dependsOn.isEmpty && dayOne[1].dependsOn == [.uniqueKey("backup-month:2026-10")])
        #expect(dayTwo[1].dependsOn == dayOne[1].dependsOn)
    }

    @Test func catchUpStartCoversTheLastSlotOrAWindow() throws {
        let daily = Schedule(name: "d", cron: try CronSchedule("0 22 * * *", timeZone: "UTC"), period: .day(TimeZone(identifier: "UTC")!),
                             jobs: [.init(kind: "noop")])
        let now = utc("2026-11-23T10:00:00Z")
        #expect(daily.slots(after: daily.catchUpStart(now: now), through: now) == [utc("2026-11-22T22:00:00Z")])
        var window = daily
        window.catchUp = .within(.seconds(3 * 86_400))
        #expect(window.slots(after: window.catchUpStart(now: now), through: now).count == 3)
        window.catchUp = .lastSlots(2)
        #expect(window.slots(after: window.catchUpStart(now: now), through: now) == [utc("2026-11-21T22:00:00Z"), utc("2026-11-22T22:00:00Z")])
    }

    @Test func aSchedulesFileOverridesAndAdds() throws {
        let settings = SchedulerSettings(timeZone: saoPaulo)
        let yaml = """
            schedules:
              - name: nightly-dump
                cron: "30 23 * * *"
                timezone: Asia/Kolkata
              - name: weekly-restore-drill
                cron: "0 4 * * sat"
                period: day
                catch_up: 14d
                key_namespace: branch-andheri
                jobs:
                  - kind: restore-drill
                    args: {date: "{date}", verify: true}
                    max_attempts: 3
              - name: push-metrics
                enabled: false
            """
        let defaults = BackOfficeSchedules.make(BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent"), timeZone: saoPaulo))
        let schedules = try ScheduleFile.apply(yaml: yaml, to: defaults, settings: settings)
        let byName = Dictionary(uniqueKeysWithValues: schedules.map { ($0.name, $0) })
        #expect(byName["nightly-dump"]?.cron.expression.description == "30 23 * * *")
        #expect(byName["nightly-dump"]?.cron.timeZone.identifier == "Asia/Kolkata")
        #expect(byName["nightly-dump"]?.jobs.first?.kind == "nightly-dump")
        #expect(byName["nightly-dump"]?.period == .day(TimeZone(identifier: "Asia/Kolkata")!))
        #expect(byName["push-metrics"]?.enabled == false)
        let drill = try #require(byName["weekly-restore-drill"])
        let job = try #require(try drill.newJobs(for: utc("2026-11-28T07:00:00Z")).first)
        #expect(job.uniqueKey == "branch-andheri:restore-drill:2026-11-28")
        #expect(job.args == #"{"date":"2026-11-28","verify":true}"#)
        #expect(job.maxAttempts == 3)
        #expect(drill.catchUp == .within(.seconds(14 * 86_400)))
    }

    @Test(arguments: [
        ("schedules:\n  - name: x\n    jobs: [{kind: noop}]\n", "cron is required"),
        ("schedules:\n  - name: x\n    cron: \"0 25 * * *\"\n    jobs: [{kind: noop}]\n", "schedules[0] (x): cron: cron hour field '25'"),
        ("schedules:\n  - name: x\n    cron: \"@daily\"\n    timezone: Mars/Base\n    jobs: [{kind: noop}]\n", "timezone 'Mars/Base'"),
        ("schedules:\n  - name: x\n    cron: \"@daily\"\n    period: weekly\n    jobs: [{kind: noop}]\n", "period 'weekly' is not one of"),
        ("schedules:\n  - name: x\n    cron: \"@daily\"\n    catch_up: lots\n    jobs: [{kind: noop}]\n", "catch_up 'lots'"),
        ("schedules:\n  - cron: \"@daily\"\n", "name is required"),
        ("schedules:\n  - name: x\n    cron: \"@daily\"\n", "jobs must list at least one job"),
    ])
    func badFilesNameTheField(yaml: String, message: String) {
        let settings = SchedulerSettings(timeZone: saoPaulo)
        #expect {
            try ScheduleFile.apply(yaml: yaml, to: [], settings: settings)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
