import BackOffice
import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// Issue 34 item 7: a month that is due and has neither an extrato nor a live close job is a
/// gap, read by the home page and the gauge behind the MonthCloseGap alert.
@Suite struct MonthCloseGapsTests {
    let utc = TimeZone(identifier: "UTC")!

    func date(_ year: Int, _ month: Int, _ day: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
    }

    func following(_ month: StudioMonth, _ n: Int = 1) throws -> StudioMonth {
        let index = month.year * 12 + (month.month - 1) + n
        return try StudioMonth(year: index / 12, month: index % 12 + 1)
    }

    @Test func aMonthWithNeitherExtratoNorLiveCloseJobIsAGap() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            let month = fixture.month, next = try following(fixture.month), after = try following(fixture.month, 2)
            for empty in [next, after] {
                try await client.query("DELETE FROM extratos WHERE ano = \(empty.year) AND mes = \(empty.month)", logger: TestDatabase.logger)
            }
            func gaps(at now: Date) async throws -> [StudioMonth] {
                try await MonthCloseGaps.read(client: client, zone: utc, now: now, logger: TestDatabase.logger)
            }
            // Day 2 of the next month: the month is not due yet (day 1 and the day-2 net run then).
            #expect(!(try await gaps(at: date(next.year, next.month, 2))).contains(month))
            #expect(try await gaps(at: date(next.year, next.month, 3)).contains(month), "from day 3 it is a gap")
            // Two months on: a month with records and no close is a gap; an empty month is not
            // (nothing to lose), so one back-dated record is one gap, not every month since.
            // (A sessao: other tests put triggers on gastos.)
            try await client.query(PostgresQuery(unsafeSQL: """
                INSERT INTO sessoes (data, valor, cliente_id, artista_id, observacoes)
                SELECT DATE '\(next.firstDay)', 1.00, cliente_id, artista_id, 'gap' FROM sessoes
                WHERE data >= DATE '\(month.firstDay)' AND data < DATE '\(month.nextFirstDay)' LIMIT 1
                """), logger: TestDatabase.logger)
            let later = date(try following(month, 3).year, try following(month, 3).month, 10)
            #expect(try await gaps(at: later).filter { [month, next, after].contains($0) } == [month, next])

            // A live close job for a month (scheduled, as the catch-up enqueues it) fills its gap;
            // cancelled, the gap is back.
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(try NewJob(GenerateExtratoJob.self, args: .init(year: next.year, month: next.month),
                                                         queue: TestDatabase.uniqueQueue("gap"), runAt: Date().addingTimeInterval(86_400)))
            #expect(!(try await gaps(at: later)).contains(next))
            try await JobFactory.mark([job.id], .cancelled, on: client)
            #expect(try await gaps(at: later).contains(next))

            // Closed, the month is no gap.
            _ = try await Transaction.run(on: client, logger: TestDatabase.logger) { connection in
                try await ExtratoGenerator(logger: TestDatabase.logger).close(month, force: false, jobID: nil, on: connection)
            }
            #expect(!(try await gaps(at: later)).contains(month))
        }
    }

    /// break-close 12: a record dated in an older closed month (an October gasto typed in
    /// mid-November) is a gap too, so the home page, the gauge and the alert show it without a
    /// manual `backup verify`; backed up and merged (`extrato generate --force`), it is gone.
    @Test func aRecordThatArrivedAfterAnOlderMonthsCloseIsAGapUntilMerged() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month, later = try following(fixture.month, 3)
            let now = date(later.year, later.month, 15)
            func gaps() async throws -> [StudioMonth] {
                try await MonthCloseGaps.read(client: client, zone: utc, now: now, logger: TestDatabase.logger)
            }
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger)
            _ = try await writer.create(month)
            _ = try await Transaction.run(on: client, logger: TestDatabase.logger) { connection in
                try await ExtratoGenerator(logger: TestDatabase.logger).close(month, force: false, jobID: nil, on: connection)
            }
            #expect(!(try await gaps()).contains(month), "closed, nothing late: no gap")
            // A sessao dated in the closed month arrives (other tests put triggers on gastos).
            try await client.query(PostgresQuery(unsafeSQL: """
                INSERT INTO sessoes (data, valor, cliente_id, artista_id, observacoes)
                SELECT DATE '\(month.firstDay)' + 20, 77.00, c.id, a.id, 'late' FROM clientes c, artistas a LIMIT 1
                """), logger: TestDatabase.logger)
            #expect(try await gaps().contains(month), "a closed month with a record that arrived after its close is a gap")
            guard case .created = try await writer.create(month) else { Issue.record("the late record was not backed up"); return }
            #expect(try await gaps().contains(month), "backed up but not merged: still a gap")
            _ = try await Transaction.run(on: client, logger: TestDatabase.logger) { connection in
                try await ExtratoGenerator(logger: TestDatabase.logger).close(month, force: true, jobID: nil, on: connection)
            }
            #expect(!(try await gaps()).contains(month), "merged into the extrato: no gap")
        }
    }
}
