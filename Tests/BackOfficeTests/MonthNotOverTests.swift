import BackOffice
import Cron
import Foundation
import JobQueue
import NightshiftCore
import PostgresNIO
import Testing
import TestSupport

/// break-office2 13: a month that has not ended in TZ cannot be closed — by the job (discarded
/// with the reason), by `extrato generate`, or through `schedules run --slot` with a slot still
/// to come. Closing it early would make its real close "already generated" and leave every
/// record typed after the early close outside any close. (The API: ServiceRoutesTests.)
@Suite struct MonthNotOverTests {
    let utc = TimeZone(identifier: "UTC")!

    func month(_ local: LocalMonth) throws -> StudioMonth { try StudioMonth(year: local.year, month: local.month) }

    @Test func theRuleNamesTheFieldAndTheFirstDayTheMonthCanBeClosed() throws {
        let now = Date()
        let current = try month(LocalMonth(containing: now, in: utc))
        #expect(throws: InvalidInput.self) { try current.requireEnded(at: now, in: utc) }
        do { try current.requireEnded(at: now, in: utc) } catch {
            #expect(error.field == "month" && error.message.contains("has not ended in \(utc.identifier)") && error.message.contains("it can be closed from \(current.nextFirstDay)"))
        }
        do { try StudioMonth(year: 2999, month: 1).requireEnded(at: now, in: utc) } catch { #expect(error.field == "year") }
        // The month before is over: no refusal. A zone where the month has not turned yet refuses.
        try #require(current.previous).requireEnded(at: now, in: utc)
        let firstInstant = ISO8601.parse("2026-11-01T01:00:00Z")!
        try StudioMonth(year: 2026, month: 10).requireEnded(at: firstInstant, in: utc)
        #expect(throws: InvalidInput.self) {
            try StudioMonth(year: 2026, month: 10).requireEnded(at: firstInstant, in: TimeZone(identifier: "America/Sao_Paulo")!)
        }
    }

    @Test func theJobDiscardsAMonthNotOverWithTheReasonAndClosesNothing() async throws {
        try await TestDatabase.withClient { client in
            let now = LocalMonth(containing: Date(), in: utc)
            for target in [try month(now), try month(now.next)] {
                let queue = TestDatabase.uniqueQueue("notover")
                let store = JobStore(client: client, logger: TestDatabase.logger)
                var registry = JobRegistry()
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ns-notover-\(UUID().uuidString)")
                try registry.register(GenerateExtratoJob(settings: BackOfficeSettings(backupDirectory: folder, requireBackup: false, timeZone: utc)))
                let job = try await store.enqueue(try NewJob(GenerateExtratoJob.self, args: .init(year: target.year, month: target.month),
                                                             queue: queue, maxAttempts: 5))
                let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
                try await eventually(timeout: .seconds(30), "the close of \(target) finished") {
                    let state = try await store.job(job.id)?.state
                    return state == .discarded || state == .succeeded
                }
                try await harness.stop()
                let record = try #require(try await store.job(job.id))
                #expect(record.state == .discarded && record.attempt == 1, "refused for good, at once: \(record.state)")
                #expect(record.lastError?.contains("has not ended in \(utc.identifier)") == true && record.lastError?.contains("it can be closed from \(target.nextFirstDay)") == true,
                        "\(record.lastError ?? "")")
                #expect(try await client.scalar("SELECT count(*)::int FROM extratos WHERE ano = \(target.year) AND mes = \(target.month)", as: Int.self) == 0)
            }
        }
    }

    @Test func theCommandLineRefusesAMonthNotOverAndASlotNotYetCome() async throws {
        // Next month (UTC) has not ended in any zone.
        let next = LocalMonth(containing: Date(), in: utc).next
        let close = try ChildProcess(["extrato", "generate", "--year", "\(next.year)", "--month", "\(next.month)", "--base-dir", "/nonexistent"])
        #expect(try await close.waitForExit(timeout: .seconds(60)) != 0)
        #expect(close.log.contains("has not ended") && close.log.contains("it can be closed from \(next.next.firstDay)")
                    && (close.log.contains("--month:") || close.log.contains("--year:")), "\(close.log)")

        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(40 * 86_400))
        for (slot, says) in [(future, "is in the future"), ("2020-01-01T05:17:00Z", "is not a slot of monthly-extrato")] {
            let run = try ChildProcess(["schedules", "run", "monthly-extrato", "--slot", slot])
            #expect(try await run.waitForExit(timeout: .seconds(60)) != 0)
            #expect(run.log.contains("--slot \(slot) \(says)"), "\(run.log)")
        }
    }
}
