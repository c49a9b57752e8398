import BackOffice
import Cron
import Database
import Foundation
import JobQueue
import NightshiftCLI
import PostgresNIO
import Scheduler
import Synchronization
import Testing
import TestSupport

/// Issue 34 items 6 and 7: slots keyed by a schedule's name and its definition, and the month
/// closes catching up every month they missed.
@Suite struct SchedulerDefinitionTests {
    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    let settings = SchedulerSettings(timeZone: TimeZone(identifier: "UTC")!)

    /// What `onConflict` heard (the metric's increments).
    final class Heard: Sendable {
        private let names = Mutex<[String]>([])
        func add(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    func service(_ schedules: [Schedule], client: PostgresClient, instance: String, conflicts: Heard? = nil) -> SchedulerService {
        var configuration = SchedulerService.Configuration()
        configuration.instanceID = instance
        if let conflicts { configuration.onConflict = { name in conflicts.add(name) } }
        return SchedulerService(schedules: schedules, configuration: configuration,
                                store: JobStore(client: client, logger: TestDatabase.logger), logger: TestDatabase.logger)
    }

    /// Two schedulers whose SCHEDULES_FILEs define `x-report` differently (one `noop`, one
    /// `push-metrics`): each definition fires every slot (no more taking turns), and the one
    /// that comes second to a slot reports the other, through `onConflict` (the metric). Two
    /// schedulers with the same file still fire each slot once, without a word.
    @Test func twoSchedulersWithDifferentFilesEachFireTheirOwnSlotAndSaySo() async throws {
        let name = "x-report-\(UUID().uuidString.prefix(6).lowercased())"
        let queue = TestDatabase.uniqueQueue("xreport")
        func file(_ kind: String) -> String {
            """
            schedules:
              - name: \(name)
                cron: "0 * * * *"
                timezone: UTC
                period: slot
                catch_up: 0
                jobs:
                  - kind: \(kind)
                    queue: \(queue)
            """
        }
        let noop = try ScheduleFile.apply(yaml: file("noop"), to: [], settings: settings)
        let push = try ScheduleFile.apply(yaml: file("push-metrics"), to: [], settings: settings)
        let sameAsNoop = try ScheduleFile.apply(yaml: file("noop"), to: [], settings: settings)
        let fired = try #require(noop.first).cron.next(after: utc("2026-12-07T00:00:00Z"))!
        #expect(try noop[0].definition(of: noop[0].newJobs(for: fired)) != push[0].definition(of: push[0].newJobs(for: fired)))
        #expect(try noop[0].definition(of: noop[0].newJobs(for: fired)) == sameAsNoop[0].definition(of: sameAsNoop[0].newJobs(for: fired)))

        try await TestDatabase.withClient { client in
            let seenA = Heard(), seenB = Heard(), seenC = Heard()
            let a = service(noop, client: client, instance: "a", conflicts: seenA)
            let b = service(push, client: client, instance: "b", conflicts: seenB)
            let c = service(sameAsNoop, client: client, instance: "c", conflicts: seenC)
            var now = utc("2026-12-07T00:00:30Z")
            let firsts = try await [a.runOnce(now: now), b.runOnce(now: now), c.runOnce(now: now)]
            // A first pass is a catch-up: a slot fired under any definition is not fired again
            // and is no disagreement (break-office2 4); the live slots below are where two
            // schedulers disagree.
            #expect(firsts[1].fired.isEmpty && firsts[1].conflicts.isEmpty && firsts[1].firedUnderEarlierDefinition.count == 1)
            var passes: [(SchedulerService.Pass, SchedulerService.Pass, SchedulerService.Pass)] = []
            for _ in 0..<4 {
                now = now.addingTimeInterval(3_600)
                // Misordered on purpose: b first at odd hours.
                let pb = try await b.runOnce(now: now)
                let pa = try await a.runOnce(now: now)
                let pc = try await c.runOnce(now: now)
                passes.append((pa, pb, pc))
            }
            for (pa, pb, pc) in passes {
                #expect(pa.fired.count == 1 && pb.fired.count == 1, "each definition fires its own slot")
                #expect(pc.fired.isEmpty && pc.skipped == 1, "the same definition is fired once")
                #expect(pa.conflicts.count == 1 && pa.conflicts[0].others.map(\.enqueuedBy) == ["b"]
                        && pa.conflicts[0].others[0].kinds == ["push-metrics"])
                #expect(pc.conflicts.count == 1, "c agrees with a, not with b: it says so too")
            }
            #expect(seenA.all == Array(repeating: name, count: 4))
            #expect(seenB.all.isEmpty, "b comes first to every live slot; its catch-up round found a's slot and left it")
            #expect(seenC.all.count == 4)
            let kinds = try await client.query("""
                SELECT kind, count(*)::int FROM jobs WHERE queue = \(queue) GROUP BY kind ORDER BY kind
                """, logger: TestDatabase.logger)
            var counts: [String: Int] = [:]
            for try await (kind, count) in kinds.decode((String, Int).self) { counts[kind] = count }
            #expect(counts == ["noop": 5, "push-metrics": 4], "no live slot lost to the other kind")
            let rows = try await client.scalar("SELECT count(*)::int FROM scheduler_slots WHERE schedule = \(name)", as: Int.self)
            #expect(rows == 9)
        }
    }

    /// break-office2 4: one scheduler restarted after an edit of its SCHEDULES_FILE (here the
    /// schedule's queue) neither says SCHEDULERS DISAGREE nor fires again the slots its
    /// previous run fired; a slot of the window nobody fired is still caught up, and the next
    /// live slot fires once, under the new definition.
    @Test func oneSchedulerRestartedAfterAnEditOfItsFileIsNoDisagreement() async throws {
        let name = "edited-\(UUID().uuidString.prefix(6).lowercased())"
        let (before, after) = (TestDatabase.uniqueQueue("edit1"), TestDatabase.uniqueQueue("edit2"))
        let settings = self.settings
        @Sendable func file(_ queue: String) throws -> [Schedule] {
            try ScheduleFile.apply(yaml: """
                schedules:
                  - name: \(name)
                    cron: "0 * * * *"
                    timezone: UTC
                    period: slot
                    catch_up: 1d
                    key_namespace: \(name)
                    jobs:
                      - kind: noop
                        queue: \(queue)
                """, to: [], settings: settings)
        }
        try await TestDatabase.withClient { client in
            let heard = Heard()
            let first = service(try file(before), client: client, instance: "host:100", conflicts: heard)
            // It ran 00:00…02:00 (its first pass caught up the day before), then stopped.
            var now = utc("2026-12-07T00:00:30Z")
            _ = try await first.runOnce(now: now)
            for _ in 0..<2 { now = now.addingTimeInterval(3_600); _ = try await first.runOnce(now: now) }
            let firedBefore = try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(before)", as: Int.self) ?? 0
            #expect(firedBefore > 3)
            // Edited and started again at 03:10: 03:00 is the one slot nobody fired.
            let restarted = service(try file(after), client: client, instance: "host:200", conflicts: heard)
            now = utc("2026-12-07T03:10:00Z")
            let pass = try await restarted.runOnce(now: now)
            #expect(pass.conflicts.isEmpty && heard.all.isEmpty, "no SCHEDULERS DISAGREE for its own earlier run")
            #expect(pass.fired.map(\.slot) == [utc("2026-12-07T03:00:00Z")], "only the slot nobody fired: \(pass.fired.map(\.slot))")
            // Its window (a day back from 03:10) holds 23 of the earlier run's slots.
            #expect(pass.firedUnderEarlierDefinition.count == 23, "the earlier run's slots are noted, not fired again")
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(before)", as: Int.self) == firedBefore)
            let live = try await restarted.runOnce(now: utc("2026-12-07T04:00:10Z"))
            #expect(live.fired.count == 1 && live.conflicts.isEmpty && heard.all.isEmpty)
            #expect(try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(after)", as: Int.self) == 2)
        }
    }

    /// Down across two month-ends: the month close catches up both missed months (and the one
    /// due now), each once by its unique key; a second scheduler starting after finds them
    /// fired; a first start ever enqueues only the latest month.
    @Test func theMonthCloseCatchesUpEveryMissedMonth() async throws {
        let tag = "cu-\(UUID().uuidString.prefix(6).lowercased())"
        let queue = TestDatabase.uniqueQueue("catchup")
        let backOffice = BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent"), timeZone: TimeZone(identifier: "America/Sao_Paulo")!)
        let schedules = BackOfficeSchedules.make(backOffice, keyNamespace: tag).filter { $0.name.hasPrefix("monthly-extrato") }.map { schedule in
            var copy = schedule
            copy.name = "\(tag)-\(schedule.name)"
            copy.jobs = [.init(kind: "noop", queue: queue)]
            return copy
        }
        #expect(schedules.count == 2 && schedules.allSatisfy { $0.catchUp == .missed(maximum: 12) })
        try await TestDatabase.withClient { client in
            // Fresh: only each schedule's latest slot (day 1 for August, the day-2 net for July).
            let first = try await service(schedules, client: client, instance: "first").runOnce(now: utc("2026-09-01T06:00:00Z"))
            #expect(first.fired.map(\.schedule) == schedules.map(\.name))
            // Down from September to December 10th.
            let pass = try await service(schedules, client: client, instance: "restart").runOnce(now: utc("2026-12-10T12:00:00Z"))
            let keys = try await client.query("""
                SELECT unique_key FROM jobs WHERE queue = \(queue) ORDER BY unique_key
                """, logger: TestDatabase.logger)
            var enqueued: [String] = []
            for try await key in keys.decode(String.self) { enqueued.append(key) }
            #expect(enqueued == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"].map { "\(tag):noop:\($0)" })
            // Day 1 fires October, November and December 1st (September, October, November);
            // the day-2 net its four missed slots, each month's job already there.
            let inserted = pass.fired.flatMap(\.inserted)
            #expect(inserted.filter { $0 }.count == 3 && inserted.count == 3 + 4, "\(pass.fired.map { ($0.schedule, $0.slot) })")
            let again = try await service(schedules, client: client, instance: "again").runOnce(now: utc("2026-12-10T12:00:00Z"))
            #expect(again.fired.isEmpty)
        }
    }

    /// The definition changes with each part a scheduler's file can change, and only then.
    @Test func theDefinitionNamesCronZoneKindArgumentsAndQueue() throws {
        func definition(_ entry: String) throws -> String {
            let schedule = try #require(try ScheduleFile.apply(yaml: "schedules:\n  - " + entry, to: [], settings: settings).first)
            return try schedule.definition(of: schedule.newJobs(for: utc("2026-12-07T06:00:00Z")))
        }
        let base = "{name: r, cron: \"0 6 * * *\", timezone: UTC, jobs: [{kind: noop, args: {a: 1}, queue: q}]}"
        let same = try definition(base)
        #expect(try definition(base) == same)
        for changed in [
            base.replacingOccurrences(of: "0 6 * * *", with: "0 7 * * *"),
            base.replacingOccurrences(of: "timezone: UTC", with: "timezone: America/Sao_Paulo"),
            base.replacingOccurrences(of: "kind: noop", with: "kind: push-metrics"),
            base.replacingOccurrences(of: "{a: 1}", with: "{a: 2}"),
            base.replacingOccurrences(of: "queue: q", with: "queue: other"),
        ] {
            #expect(try definition(changed) != same, "\(changed)")
        }
    }

    @Test func aSchedulesFileCanAskForEveryMissedSlot() throws {
        let yaml = """
            schedules:
              - name: monthly-report
                cron: "0 6 1 * *"
                catch_up: missed
                jobs: [{kind: noop}]
            """
        #expect(try ScheduleFile.apply(yaml: yaml, to: [], settings: settings).first?.catchUp == .missed(maximum: 12))
        #expect(throws: ScheduleConfigurationError.self) {
            try ScheduleFile.apply(yaml: yaml.replacingOccurrences(of: "catch_up: missed", with: "catch_up: lots"), to: [], settings: settings)
        }
    }
}
