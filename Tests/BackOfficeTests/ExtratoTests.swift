@testable import BackOffice
import Database
import Foundation
import NightshiftCore
import JobQueue
import PostgresNIO
import Testing
import TestSupport

@Suite struct ExtratoTests {
    /// Totals computed straight from the tables, before the close.
    func sums(_ month: StudioMonth, _ client: PostgresClient) async throws -> [String] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT (SELECT coalesce(sum(valor), 0) FROM pagamentos WHERE data >= '\(month.firstDay)' AND data < '\(month.nextFirstDay)')::text,
                   (SELECT coalesce(sum(valor), 0) FROM comissoes WHERE data >= '\(month.firstDay)' AND data < '\(month.nextFirstDay)')::text,
                   (SELECT coalesce(sum(valor), 0) FROM gastos WHERE data >= '\(month.firstDay)' AND data < '\(month.nextFirstDay)')::text
            """), logger: TestDatabase.logger)
        for try await (p, c, g) in rows.decode((String, String, String).self) { return [p, c, g] }
        return []
    }

    func extrato(_ month: StudioMonth, _ client: PostgresClient) async throws -> [String]? {
        let rows = try await client.query("""
            SELECT total_receita::text, total_comissoes::text, total_gastos::text, saldo::text,
                   jsonb_array_length(pagamentos) + jsonb_array_length(sessoes) + jsonb_array_length(comissoes) + jsonb_array_length(gastos)
            FROM extratos WHERE ano = \(month.year) AND mes = \(month.month)
            """, logger: TestDatabase.logger)
        for try await (r, c, g, s, n) in rows.decode((String, String, String, String, Int).self) { return [r, c, g, s, String(n)] }
        return nil
    }

    func close(_ month: StudioMonth, _ client: PostgresClient, force: Bool = false) async throws -> ExtratoGenerator.Outcome {
        try await Transaction.run(on: client, logger: TestDatabase.logger) { connection in
            try await ExtratoGenerator(logger: TestDatabase.logger).close(month, force: force, jobID: nil, on: connection)
        }
    }

    @Test func generateMovesTheMonthIntoTheExtratoWithExactTotals() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 400)
            let before = try await sums(fixture.month, client)
            #expect(try await fixture.liveCount(client) == 400)
            #expect(try await close(fixture.month, client) == .generated(moved: ["pagamento": 100, "sessao": 100, "comissao": 100, "gasto": 100]))
            #expect(try await fixture.liveCount(client) == 0)
            let extrato = try #require(try await extrato(fixture.month, client))
            #expect(Array(extrato.prefix(3)) == before)
            let saldo = try await client.scalar("SELECT (\(before[0])::numeric - \(before[1])::numeric - \(before[2])::numeric)::text", as: String.self)
            #expect(extrato[3] == saldo)
            #expect(extrato[4] == "400", "every record present once")
            let distinct = try await client.scalar("""
                SELECT count(DISTINCT e->>'id')::int FROM extratos, jsonb_array_elements(pagamentos) e
                WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month)
                """, as: Int.self)
            #expect(distinct == 100)
            // Again without force: nothing changes.
            #expect(try await close(fixture.month, client) == .alreadyGenerated)
        }
    }

    @Test func forceMergesRecordsThatArrivedLaterWithoutLosingAny() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            _ = try await close(fixture.month, client)
            try await client.query(PostgresQuery(unsafeSQL: "INSERT INTO gastos (data, valor, descricao) VALUES ('\(fixture.month.firstDay)', 12.34, 'chegou depois')"), logger: TestDatabase.logger)
            let before = try #require(try await extrato(fixture.month, client))
            _ = try await close(fixture.month, client, force: true)
            let after = try #require(try await extrato(fixture.month, client))
            #expect(after[4] == "41")
            let difference = try await client.scalar("SELECT (\(after[2])::numeric - \(before[2])::numeric)::text", as: String.self)
            #expect(difference == "12.34")
        }
    }

    @Test func twoClosesOfOneMonthAtOnceMakeOneExtrato() async throws {
        try await TestDatabase.withClient(maximumConnections: 4) { client in
            let fixture = try await StudioFixture.make(client: client, rows: 200)
            let outcomes = try await withThrowingTaskGroup(of: ExtratoGenerator.Outcome.self) { group in
                for _ in 0..<2 { group.addTask { try await close(fixture.month, client) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .alreadyGenerated }.count == 1)
            #expect(try await client.scalar("SELECT count(*)::int FROM extratos WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month)", as: Int.self) == 1)
        }
    }

    @Test func twoGenerateJobsForOneMonthAtOnceCloseItOnceWithoutErrors() async throws {
        let queue = TestDatabase.uniqueQueue("twojobs")
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 200)
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var registry = JobRegistry()
            try registry.register(GenerateExtratoJob(settings: BackOfficeSettings(backupDirectory: fixture.backups, requireBackup: false)))
            let args = GenerateExtratoJob.Args(year: fixture.month.year, month: fixture.month.month)
            let ids = try await store.enqueueBatch([
                try NewJob(GenerateExtratoJob.self, args: args, queue: queue),
                try NewJob(GenerateExtratoJob.self, args: args, queue: queue),
            ])
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue, concurrency: 2), registry: registry)
            try await eventually("both done") {
                try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'succeeded'", as: Int.self) == 2
            }
            try await harness.stop()
            for id in ids { #expect(try await store.job(id)?.errors.isEmpty == true, "no error storm") }
            #expect(try await client.scalar("SELECT count(*)::int FROM extratos WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month)", as: Int.self) == 1)
            let statuses = try await client.query("""
                SELECT status FROM extrato_runs WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month) ORDER BY status
                """, logger: TestDatabase.logger)
            var seen: [String] = []
            for try await status in statuses.decode(String.self) { seen.append(status) }
            #expect(seen == ["skipped", "success"])
        }
    }

    @Test func aFailureMidTransactionLeavesTheTablesUntouchedAndTheRetrySucceedsOnce() async throws {
        let queue = TestDatabase.uniqueQueue("close")
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            let store = JobStore(client: client, logger: TestDatabase.logger)
            // A trigger that refuses to delete this month's expenses: the close fails after it
            // has written the extrato and deleted commissions, payments and sessions.
            let trigger = "refuse_\(fixture.month.year)_\(fixture.month.month)"
            try await client.query(PostgresQuery(unsafeSQL: """
                CREATE FUNCTION \(trigger)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.data >= DATE '\(fixture.month.firstDay)' AND OLD.data < DATE '\(fixture.month.nextFirstDay)' THEN
                        RAISE EXCEPTION 'injected failure deleting gastos';
                    END IF;
                    RETURN OLD;
                END $$
                """), logger: TestDatabase.logger)
            try await client.query(PostgresQuery(unsafeSQL: "CREATE TRIGGER \(trigger) BEFORE DELETE ON gastos FOR EACH ROW EXECUTE FUNCTION \(trigger)()"), logger: TestDatabase.logger)

            var registry = JobRegistry()
            let settings = BackOfficeSettings(backupDirectory: fixture.backups, requireBackup: false)
            try registry.register(GenerateExtratoJob(settings: settings))
            let job = try await store.enqueue(try NewJob(GenerateExtratoJob.self, args: .init(year: fixture.month.year, month: fixture.month.month), queue: queue))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
            try await eventually("first attempt failed") { try await store.job(job.id)?.errors.isEmpty == false }
            #expect(try await fixture.liveCount(client) == 40, "rolled back: every record still there")
            #expect(try await extrato(fixture.month, client) == nil)
            let failedRuns = try await client.scalar("""
                SELECT count(*)::int FROM extrato_runs WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month)
                  AND status = 'failed' AND error LIKE '%injected failure%'
                """, as: Int.self)
            #expect((failedRuns ?? 0) >= 1, "the failed attempt is on record")

            try await client.query(PostgresQuery(unsafeSQL: "DROP TRIGGER \(trigger) ON gastos; "), logger: TestDatabase.logger)
            try await eventually("retried job succeeded") { try await store.job(job.id)?.state == .succeeded }
            try await harness.stop()
            #expect(try await fixture.liveCount(client) == 0)
            #expect(try await extrato(fixture.month, client)?[4] == "40")
            let successes = try await client.scalar("""
                SELECT count(*)::int FROM extrato_runs WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month) AND status = 'success'
                """, as: Int.self)
            #expect(successes == 1)
        }
    }

    @Test(arguments: ["missing", "flip", "truncate"])
    func generateRefusesWithoutAValidBackupAndTouchesNothing(damage: String) async throws {
        let queue = TestDatabase.uniqueQueue("nobackup")
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            if damage != "missing" {
                _ = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger).create(fixture.month)
                try MonthBackupTests().damageFile(BackupLocation(baseDirectory: fixture.backups, month: fixture.month), how: damage)
            }
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var registry = JobRegistry()
            try registry.register(GenerateExtratoJob(settings: BackOfficeSettings(backupDirectory: fixture.backups, requireBackup: true)))
            let job = try await store.enqueue(try NewJob(GenerateExtratoJob.self, args: .init(year: fixture.month.year, month: fixture.month.month), queue: queue, maxAttempts: 1))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
            try await eventually("refused") { try await store.job(job.id)?.state == .discarded }
            try await harness.stop()
            let error = try await store.job(job.id)?.lastError ?? ""
            #expect(error.contains("backup for \(fixture.month.slashed) missing or invalid") && error.contains("nightshift backup create --year \(fixture.month.year) --month \(fixture.month.month)"))
            #expect(try await fixture.liveCount(client) == 40)
            #expect(try await extrato(fixture.month, client) == nil)
        }
    }

    @Test func theMonthCloseJobsRunEndToEndOnAWorker() async throws {
        let queue = TestDatabase.uniqueQueue("monthclose")
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 80)
            let store = JobStore(client: client, logger: TestDatabase.logger)
            var registry = JobRegistry()
            let settings = BackOfficeSettings(backupDirectory: fixture.backups, requireBackup: true)
            try registry.register(BackupMonthJob(settings: settings, database: TestDatabase.url))
            try registry.register(GenerateExtratoJob(settings: settings))
            let args = GenerateExtratoJob.Args(year: fixture.month.year, month: fixture.month.month)
            // The extrato is enqueued first: it fails fast until the backup exists, then succeeds.
            let extratoJob = try await store.enqueue(try NewJob(GenerateExtratoJob.self, args: args, queue: queue, priority: 1))
            let backupJob = try await store.enqueue(try NewJob(BackupMonthJob.self, args: .init(year: fixture.month.year, month: fixture.month.month), queue: queue))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
            try await eventually(timeout: .seconds(30), "month closed") { try await store.job(extratoJob.id)?.state == .succeeded }
            try await harness.stop()
            let backup = try #require(try await store.job(backupJob.id))
            #expect(backup.state == .succeeded)
            // Its progress, written before it finished: every record of the month, of the count.
            #expect(backup.progress?.progress == WorkProgress(done: 80, total: 80, unit: .records, step: fixture.month.label))
            #expect(try await fixture.liveCount(client) == 0)
            #expect(try await extrato(fixture.month, client)?[4] == "80")
            // The backup still verifies after the close (the month is gone from the tables).
            #expect(try await BackupVerifier(client: client, baseDirectory: fixture.backups, logger: TestDatabase.logger).verify(fixture.month).ok)
        }
    }

    /// The 4M-record month-close benchmark met PostgreSQL's 256 MB cap on a jsonb array (one
    /// record type's rows in an extrato). The same refusal, from a real server, is recognised
    /// and becomes a clear error that says nothing moved.
    @Test func aMonthPastTheJsonbLimitIsAClearErrorNotADatabaseOne() async throws {
        try await TestDatabase.withClient { client in
            do {
                let rows = try await client.query("SELECT jsonb_agg(repeat('x', 1000000)) FROM generate_series(1, 300)", logger: TestDatabase.logger)
                for try await _ in rows {}
                Issue.record("PostgreSQL built a jsonb array past its limit")
            } catch {
                #expect(ExtratoTooLarge.matches(DatabaseErrorMessage.describe(error)), "\(DatabaseErrorMessage.describe(error))")
            }
            let text = "\(ExtratoTooLarge(month: "2025-02"))"
            #expect(text.contains("2025-02") && text.contains("Nothing was moved") && text.contains("256 MB"))
        }
    }
}
