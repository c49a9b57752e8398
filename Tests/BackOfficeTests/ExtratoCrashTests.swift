import BackOffice
import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

@Suite struct ExtratoCrashTests {
    @Test func aWorkerKilledInsideTheCloseTransactionLeavesTheMonthUntouchedAndTheRetryClosesItOnce() async throws {
        let queue = TestDatabase.uniqueQueue("killclose")
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            let store = JobStore(client: client, logger: TestDatabase.logger)
            // Let the server notice a vanished client within a second even while a query runs.
            try await client.query(PostgresQuery(unsafeSQL: "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET client_connection_check_interval = ''1s''', current_database()); END $$"), logger: TestDatabase.logger)
            // Park the close inside its transaction: deleting this month's expenses sleeps.
            let trigger = "park_\(fixture.month.year)_\(fixture.month.month)"
            try await client.query(PostgresQuery(unsafeSQL: """
                CREATE FUNCTION \(trigger)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.data >= DATE '\(fixture.month.firstDay)' AND OLD.data < DATE '\(fixture.month.nextFirstDay)' THEN
                        PERFORM pg_sleep(600);
                    END IF;
                    RETURN OLD;
                END $$
                """), logger: TestDatabase.logger)
            try await client.query(PostgresQuery(unsafeSQL: "CREATE TRIGGER \(trigger) BEFORE DELETE ON gastos FOR EACH ROW EXECUTE FUNCTION \(trigger)()"), logger: TestDatabase.logger)

            let job = try await store.enqueue(try NewJob(GenerateExtratoJob.self, args: .init(year: fixture.month.year, month: fixture.month.month), queue: queue))
            let doomed = try ChildProcess(["worker", "--queues", queue, "--no-maintenance", "--heartbeat-interval", "250ms"],
                                          environment: ["EXTRATO_REQUIRE_BACKUP": "false", "BACKUP_DIR": fixture.backups.path])
            try await eventually(timeout: .seconds(30), "close parked inside its transaction") {
                (try await client.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%DELETE FROM gastos%'", as: Int.self) ?? 0) > 0
            }
            doomed.kill(SIGKILL)
            #expect(try await doomed.waitForExit() != 0)
            try await eventually(timeout: .seconds(30), "the server rolled the close back") {
                (try await client.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%DELETE FROM gastos%'", as: Int.self) ?? 1) == 0
            }
            #expect(try await fixture.liveCount(client) == 40, "every record is still in the tables")
            #expect(try await client.scalar("SELECT count(*)::int FROM extratos WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month)", as: Int.self) == 0)

            try await client.query(PostgresQuery(unsafeSQL: "DROP TRIGGER \(trigger) ON gastos"), logger: TestDatabase.logger)
            var rescuerConfiguration = Rescuer.Configuration()
            rescuerConfiguration.staleAfter = .seconds(2)
            rescuerConfiguration.queues = [queue]
            let rescuer = Rescuer(configuration: rescuerConfiguration, store: store, logger: TestDatabase.logger)
            try await eventually("rescued") { try await rescuer.runOnce().retried.contains(job.id) }
            var registry = JobRegistry()
            try registry.register(GenerateExtratoJob(settings: BackOfficeSettings(backupDirectory: fixture.backups, requireBackup: false)))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
            try await eventually(timeout: .seconds(30), "closed on retry") { try await store.job(job.id)?.state == .succeeded }
            try await harness.stop()
            #expect(try await fixture.liveCount(client) == 0)
            #expect(try await client.scalar("""
                SELECT jsonb_array_length(gastos) FROM extratos WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month)
                """, as: Int.self) == 10)
            #expect(try await client.scalar("""
                SELECT count(*)::int FROM extrato_runs WHERE ano = \(fixture.month.year) AND mes = \(fixture.month.month) AND status = 'success'
                """, as: Int.self) == 1)
            #expect(try await store.job(job.id)?.attempt == 2)
        }
    }
}
