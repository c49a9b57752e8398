import BackOffice
import Cron
import Database
import Foundation
import JobQueue
import NightshiftCLI
import PostgresNIO
import Scheduler
import Testing
import TestSupport

@Suite struct SchedulerServiceTests {
    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    /// Schedules like the defaults, with names, keys and a queue of this test's own.
    func schedules(_ tag: String, queue: String) throws -> [Schedule] {
        let settings = BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent"),
                                          timeZone: TimeZone(identifier: "America/Sao_Paulo")!,
                                          branchTimeZone: TimeZone(identifier: "Asia/Kolkata")!)
        return BackOfficeSchedules.make(settings, keyNamespace: tag).map { schedule in
            var copy = schedule
            copy.name = "\(tag)-\(schedule.name)"
            copy.jobs = copy.jobs.map { var job = $0; job.queue = queue; return job }
            return copy
        }
    }

    func service(_ schedules: [Schedule], client: PostgresClient, instance: String) -> SchedulerService {
        var configuration = SchedulerService.Configuration()
        configuration.instanceID = instance
        return SchedulerService(schedules: schedules, configuration: configuration,
                                store: JobStore(client: client, logger: TestDatabase.logger), logger: TestDatabase.logger,
                                clock: { Date() })
    }

    @Test func threeReplicasOverFortySimulatedDaysEnqueueEachSlotOnce() async throws {
        let tag = "s3-\(UUID().uuidString.prefix(6).lowercased())"
        let queue = TestDatabase.uniqueQueue("sched")
        try await TestDatabase.withClient(maximumConnections: 12) { client in
            let schedules = try schedules(tag, queue: queue)
            let start = utc("2026-10-20T00:00:00Z")
            let end = start.addingTimeInterval(40 * 86_400)
            // Each replica walks the same 40 days in its own steps; they race on every slot. They
            // walk a day at a time together (each its own steps within the day, all at once), so
            // no replica can run through the 40 days before the others start on a loaded machine.
            let services = (0..<3).map { service(schedules, client: client, instance: "replica-\($0)") }
            let steps = [600.0, 420.0, 1_380.0]
            var clocks = [start, start, start]
            var dayEnd = start
            while dayEnd < end {
                dayEnd = min(end, dayEnd.addingTimeInterval(86_400))
                clocks = try await withThrowingTaskGroup(of: (Int, Date).self) { group in
                    for index in 0..<3 {
                        let (replica, step, from, until) = (services[index], steps[index], clocks[index], dayEnd)
                        group.addTask {
                            var now = from
                            while now < until {
                                try await replica.runOnce(now: now)
                                now = now.addingTimeInterval(step)
                            }
                            return (index, now)
                        }
                    }
                    var next = clocks
                    for try await (index, now) in group { next[index] = now }
                    return next
                }
            }
            for replica in services { try await replica.runOnce(now: end) }
            for schedule in schedules {
                // A first start: `missed` (the month closes) has no earlier slot to go back to, so the latest only.
                var fresh = schedule
                if case .missed = schedule.catchUp { fresh.catchUp = .lastSlots(1) }
                let expected = schedule.slots(after: fresh.catchUpStart(now: start), through: end)
                let rows = try await client.query("""
                    SELECT slot, count(*) OVER (PARTITION BY slot)::int FROM scheduler_slots WHERE schedule = \(schedule.name) ORDER BY slot
                    """, logger: TestDatabase.logger)
                var fired: [Date] = []
                for try await (slot, copies) in rows.decode((Date, Int).self) {
                    #expect(copies == 1)
                    fired.append(slot)
                }
                #expect(fired == expected, "\(schedule.name): \(fired.count) slots fired, \(expected.count) expected")
            }
            // One job per unique key, however many replicas and schedules enqueued it.
            let duplicates = try await client.scalar("""
                SELECT count(*)::int FROM (SELECT unique_key FROM jobs WHERE queue = \(queue) GROUP BY unique_key HAVING count(*) > 1) d
                """, as: Int.self)
            #expect(duplicates == 0)
            // 40 days from 2026-10-20 cover two month closes (Oct 1 is caught up as the last missed slot).
            let months = try await client.scalar("""
                SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND kind = 'generate-extrato'
                """, as: Int.self)
            #expect(months == 2)
            let replicas = try await client.scalar("""
                SELECT count(DISTINCT enqueued_by)::int FROM scheduler_slots WHERE schedule LIKE \(tag + "-%")
                """, as: Int.self)
            #expect((replicas ?? 0) >= 2, "the replicas shared the work")
        }
    }

    @Test func aRestartAfterAGapCatchesUpOnlyTheMissedSlotsInTheWindow() async throws {
        let tag = "gap-\(UUID().uuidString.prefix(6).lowercased())"
        let queue = TestDatabase.uniqueQueue("gap")
        try await TestDatabase.withClient { client in
            let all = try schedules(tag, queue: queue)
            let dump = all.first { $0.name.hasSuffix("-nightly-dump") }!
            let metrics = all.first { $0.name.hasSuffix("-push-metrics") }!
            let day0 = utc("2026-11-01T00:00:00Z")
            let first = service([dump, metrics], client: client, instance: "before")
            var now = day0
            while now <= day0.addingTimeInterval(10 * 86_400) {
                try await first.runOnce(now: now)
                now = now.addingTimeInterval(3_600)
            }
            // Down for ten days, then a new process starts.
            let restart = day0.addingTimeInterval(20 * 86_400 + 3_600)
            let pass = try await service([dump, metrics], client: client, instance: "after").runOnce(now: restart)
            let dumpSlots = pass.fired.filter { $0.schedule == dump.name }.map(\.slot)
            let metricSlots = pass.fired.filter { $0.schedule == metrics.name }.map(\.slot)
            // nightly-dump catches up its latest missed slot only.
            #expect(dumpSlots == [dump.cron.previous(atOrBefore: restart)!])
            // push-metrics catches up every missed day within 14 days: the ten days it missed.
            let lastBefore = metrics.cron.previous(atOrBefore: day0.addingTimeInterval(10 * 86_400))!
            #expect(metricSlots == metrics.slots(after: lastBefore, through: restart))
            #expect(metricSlots.count == 10)
            // A second pass finds nothing new.
            #expect(try await service([dump, metrics], client: client, instance: "again").runOnce(now: restart).fired.isEmpty)
        }
    }

    @Test func theDayTwoSafetyNetRunsOnlyWhenDayOneDidNotSucceed() async throws {
        let tag = "net-\(UUID().uuidString.prefix(6).lowercased())"
        let queue = TestDatabase.uniqueQueue("net")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            // The month close as test kinds a worker here can run: the backup as noop, the
            // extrato as test-fail (failing zero times).
            let all = try schedules(tag, queue: queue).map { schedule -> Schedule in
                var copy = schedule
                copy.jobs = [
                    .init(kind: "noop", queue: queue),
                    .init(kind: TestKinds.FailJob.kind, args: .object(["failTimes": .integer(0)]), queue: queue, priority: 1),
                ]
                return copy
            }
            let dayOne = all.first { $0.name.hasSuffix("-monthly-extrato") }!
            let net = all.first { $0.name.hasSuffix("-safety-net") }!

            // October: day 1 ran and succeeded, so the safety net adds nothing.
            let october = try #require(try await service([dayOne], client: client, instance: "a").runOnce(now: utc("2026-11-01T05:00:30Z")).fired.first)
            try await JobFactory.mark(october.jobIDs, .succeeded, on: client)
            let octoberNet = try #require(try await service([net], client: client, instance: "a").runOnce(now: utc("2026-11-02T03:00:30Z")).fired.first)
            #expect(octoberNet.inserted == [false, false])
            #expect(octoberNet.jobIDs == october.jobIDs)

            // November: day 1's backup failed for good, so the safety net enqueues it again and it runs.
            let november = try #require(try await service([dayOne], client: client, instance: "a").runOnce(now: utc("2026-12-01T05:00:30Z")).fired.first)
            try await JobFactory.mark([november.jobIDs[0]], .discarded, on: client)
            try await JobFactory.mark([november.jobIDs[1]], .succeeded, on: client)
            let novemberNet = try #require(try await service([net], client: client, instance: "a").runOnce(now: utc("2026-12-02T03:00:30Z")).fired.first)
            #expect(novemberNet.inserted == [true, false])
            let rerun = novemberNet.jobIDs[0]
            #expect(rerun != november.jobIDs[0])
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue))
            try await eventually("safety-net job ran") { try await store.job(rerun)?.state == .succeeded }
            try await harness.stop()
            #expect(try await store.job(rerun)?.uniqueKey == "\(tag):noop:2026-11")
        }
    }

    /// The month close's extrato waits for its backup by a job dependency: enqueued pending in
    /// the slot's transaction, released when the backup succeeds; on day 2, after day 1's backup
    /// failed for good (and its extrato was cancelled with it), both come back.
    @Test func theMonthClosesExtratoWaitsForItsBackupAndTheSafetyNetBringsBothBack() async throws {
        let tag = "dep-\(UUID().uuidString.prefix(6).lowercased())"
        let queue = TestDatabase.uniqueQueue("close-dep")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let all = try schedules(tag, queue: queue).map { schedule -> Schedule in
                var copy = schedule
                copy.jobs = [
                    .init(kind: "noop", queue: queue),
                    .init(kind: TestKinds.FailJob.kind, args: .object(["failTimes": .integer(0)]), queue: queue, priority: 1, after: ["noop"]),
                ]
                return copy
            }
            let dayOne = all.first { $0.name.hasSuffix("-monthly-extrato") }!
            let net = all.first { $0.name.hasSuffix("-safety-net") }!
            let fired = try #require(try await service([dayOne], client: client, instance: "a").runOnce(now: utc("2026-12-01T05:00:30Z")).fired.first)
            let (backup, extrato) = (fired.jobIDs[0], fired.jobIDs[1])
            let waiting = try #require(try await store.job(extrato))
            #expect(waiting.state == .pending && waiting.dependsOn == [backup])
            try await JobFactory.mark([backup], .discarded, on: client)
            #expect(try await store.job(extrato)?.state == .cancelled, "a backup failed for good cancels its extrato")

            let again = try #require(try await service([net], client: client, instance: "a").runOnce(now: utc("2026-12-02T03:00:30Z")).fired.first)
            #expect(again.inserted == [true, true])
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue))
            try await eventually("the safety net's backup and then its extrato ran") { try await store.job(again.jobIDs[1])?.state == .succeeded }
            try await harness.stop()
            let rerunBackup = try #require(try await store.job(again.jobIDs[0]))
            let rerunExtrato = try #require(try await store.job(again.jobIDs[1]))
            #expect(rerunExtrato.dependsOn == [rerunBackup.id])
            #expect(try #require(rerunExtrato.attemptedAt) >= (try #require(rerunBackup.finishedAt)))
        }
    }

    /// `nightshift schedules run`: the slot is recorded as run (the Agendas page and `schedules
    /// list` showed no last slot after one), and running it again enqueues nothing new.
    @Test func aManualRunRecordsItsSlotAndIsIdempotent() async throws {
        let tag = "run-\(UUID().uuidString.prefix(6).lowercased())"
        let queue = TestDatabase.uniqueQueue("run-now")
        try await TestDatabase.withClient { client in
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var schedule = try #require(try schedules(tag, queue: queue).first { $0.name.hasSuffix("-nightly-dump") })
            schedule.jobs = [.init(kind: "noop", queue: queue)]
            let slots = SlotStore(jobs: store)
            let slot = utc("2026-12-05T16:30:00Z")
            let first = try await slots.runNow(schedule, slot: slot, by: "cli test")
            #expect(first.map(\.inserted) == [true])
            let recorded = try #require(try await slots.lastSlots()[schedule.name])
            #expect(recorded.slot == slot && recorded.jobIDs == first.map(\.id))
            let again = try await slots.runNow(schedule, slot: slot, by: "cli test")
            #expect(again.map(\.inserted) == [false] && again.map(\.id) == first.map(\.id))
            // A scheduler reaching the same slot finds it fired and enqueues nothing.
            #expect(try await slots.fire(schedule, slot: slot, by: "scheduler").results == nil)
        }
    }
}
