@testable import BackOffice
import Database
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage
import PostgresNIO
import Testing
import TestSupport

/// The close against a second session that holds a lock and commits a record while the close
/// waits on it; the check and the close compare records by id and amount, not counts and
/// totals; a damaged local backup never replaces the bucket's copy (break-close 0, 1, 2, 4, 8, 10).
extension ClosedMonthBackupTests {
    /// A second session: BEGIN, `statements` (the last returns one int8, handed back with the
    /// session's pid), then waits for `release` and commits.
    struct Holder {
        let pid: Int32
        let value: Int64
        let release: AsyncStream<Void>.Continuation
        let task: Task<Void, any Error>

        static func start(_ statements: [String], client: PostgresClient) async throws -> Holder {
            let (started, startedSignal) = AsyncStream<(Int32, Int64)>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let task = Task {
                try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: TestDatabase.logger)
                    var pid: Int32 = 0, value: Int64 = 0
                    for try await p in try await connection.query("SELECT pg_backend_pid()", logger: TestDatabase.logger).decode(Int32.self) { pid = p }
                    for statement in statements.dropLast() {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
                    }
                    for try await v in try await connection.query(PostgresQuery(unsafeSQL: statements.last!), logger: TestDatabase.logger).decode(Int64.self) { value = v }
                    startedSignal.yield((pid, value))
                    for await _ in release { break }
                    try await connection.query("COMMIT", logger: TestDatabase.logger)
                }
            }
            var iterator = started.makeAsyncIterator()
            guard let (pid, value) = await iterator.next() else { throw CancellationError() }
            return Holder(pid: pid, value: value, release: releaseSignal, task: task)
        }

        /// Waits until another session waits on this one's locks, then commits.
        func commitOnceBlocking(_ client: PostgresClient) async throws {
            try await eventually(timeout: .seconds(30), "the close waits on the held lock") {
                try await client.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE \(pid) = ANY(pg_blocking_pids(pid))", as: Int.self) ?? 0 > 0
            }
            release.yield()
            try await task.value
        }
    }

    func insertSessao(_ date: String, month: StudioMonth, note: String, payment: String = "NULL") -> String {
        """
        INSERT INTO sessoes (data, valor, cliente_id, artista_id, observacoes, payment_id)
        SELECT DATE '\(date)', 10.00, cliente_id, artista_id, '\(note)', \(payment) FROM sessoes
        WHERE \(MonthRecords.inMonth("sessoes", month)) ORDER BY id LIMIT 1 RETURNING id
        """
    }

    func closeMonth(_ month: StudioMonth, force: Bool = false, _ report: BackupVerifier.Report?, _ client: PostgresClient) async throws -> ExtratoGenerator.Outcome {
        try await Transaction.run(on: client, logger: logger) { connection in
            try await ExtratoGenerator(logger: logger).close(month, force: force, jobID: nil, backedUp: report?.heldLive, backedUpTotals: report?.heldTotals,
                                                             backedUpRecords: report?.heldRecords, on: connection)
        }
    }

    /// break-close 0: a session holds a lock on a sessao of another month that is linked to a
    /// payment of this one, and commits a new sessao of this month while the close's DELETE of
    /// the payments waits on it (ON DELETE SET NULL). The close deletes exactly what its extrato
    /// received, so the new sessao stays in the tables as a late record — before, it was deleted
    /// in the later snapshot and was in no table, no extrato, no backup.
    @Test func aRecordCommittedWhileTheCloseWaitsOnALockStaysInTheTables() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let other = String(format: "%04d-%02d-03", month.year, month.month == 12 ? 11 : month.month + 1)
            let payment = "(SELECT min(id) FROM pagamentos WHERE \(MonthRecords.inMonth("pagamentos", month)))"
            let linked = try #require(try await client.scalar(PostgresQuery(unsafeSQL: insertSessao(other, month: month, note: "next month", payment: payment)), as: Int64.self))
            _ = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger).create(month)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger)
            let checked = try await verifier.verified(month).report
            let sessoes = try #require(checked.heldLive["sessao"])
            let day = String(format: "%04d-%02d-20", month.year, month.month)
            let holder = try await Holder.start(["SELECT id FROM sessoes WHERE id = \(linked) FOR UPDATE",
                                                 insertSessao(day, month: month, note: "committed mid-close")], client: client)
            let closing = Task { try await self.closeMonth(month, checked, client) }
            try await holder.commitOnceBlocking(client)
            let outcome = try await closing.value
            guard case .generated(let moved) = outcome else { Issue.record("\(outcome)"); return }
            #expect(moved["sessao"] == sessoes, "only the sessoes the extrato holds were deleted")
            #expect(try await client.scalar("SELECT count(*)::int FROM sessoes WHERE id = \(holder.value)", as: Int.self) == 1, "still in the table")
            #expect(try await verifier.verify(month).problems == ["1 sessao dated \(day) arrived after the close"])
        }
    }

    /// break-close 1: a session holds a row of the month locked and commits a new record of the
    /// month while the close waits for its row locks. The close's lock statement counted in the
    /// snapshot from before the insert; the extrato's snapshot has it. The close compares what
    /// it serialized, by id, with the backup: it refuses and rolls back.
    @Test func aRecordCommittedWhileTheCloseWaitsForItsRowLocksStopsTheClose() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            _ = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger).create(month)
            let checked = try await BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger).verified(month).report
            let before = try await fixture.liveCount(client)
            let day = String(format: "%04d-%02d-15", month.year, month.month)
            let holder = try await Holder.start([
                "SELECT id FROM sessoes WHERE id = (SELECT min(id) FROM sessoes WHERE \(MonthRecords.inMonth("sessoes", month))) FOR UPDATE",
                insertSessao(day, month: month, note: "race"),
            ], client: client)
            let closing = Task { try await self.closeMonth(month, checked, client) }
            try await holder.commitOnceBlocking(client)
            await #expect {
                _ = try await closing.value
            } throws: { error in
                guard case .missingOrInvalid(month, let problems)? = error as? BackupError else { return false }
                return problems == ["1 sessao record(s) arrived after the backup was checked"]
            }
            #expect(try await fixture.liveCount(client) == before + 1, "rolled back: nothing moved")
            #expect(try await extratoCount(month, client) == nil)
        }
    }

    /// break-close 2: after the backup, one gasto is deleted, two have their amounts moved by
    /// the same sum in opposite directions and a new one of the deleted one's amount is added:
    /// the counts and the totals are the backup's, the records are not. The check names each
    /// difference, and a close given the earlier check refuses.
    @Test func anOpenMonthWithTheBackupsCountAndTotalButOtherRecordsFailsTheCheck() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            _ = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger).create(month)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger)
            let checked = try await verifier.verified(month).report
            let ids = "SELECT id FROM gastos WHERE \(MonthRecords.inMonth("gastos", month)) ORDER BY id"
            for statement in [
                "INSERT INTO gastos (data, valor, descricao, categoria, forma_pagamento) SELECT data, valor, 'swapped in', categoria, forma_pagamento FROM gastos WHERE id = (\(ids) LIMIT 1 OFFSET 2)",
                "DELETE FROM gastos WHERE id = (\(ids) LIMIT 1 OFFSET 2)",
                "UPDATE gastos SET valor = valor - 0.01 WHERE id = (\(ids) LIMIT 1)",
                "UPDATE gastos SET valor = valor + 0.01 WHERE id = (\(ids) LIMIT 1 OFFSET 1)",
            ] {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            let (counts, totals) = try await verifier.liveCounts(month, client: client)
            #expect(counts["gasto"] == checked.heldLive["gasto"] && totals["gasto"] == checked.heldTotals?["gasto"], "the aggregates agree")
            let problems = try await verifier.verify(month).problems
            #expect(problems == [
                "1 gasto record(s) of \(month.label) in the database are in no backup: create the backup again",
                "2 gasto record(s) of \(month.label) have another amount in the database than in the backup (changed since): create the backup again",
                "1 gasto record(s) of the backup of \(month.label) are no longer in the database (deleted since): create the backup again",
            ])
            await #expect {
                _ = try await closeMonth(month, checked, client)
            } throws: { error in
                guard case .missingOrInvalid(month, let problems)? = error as? BackupError else { return false }
                return problems == ["1 gasto record(s) arrived after the backup was checked",
                                    "2 gasto record(s) have another amount than in the backup: a record changed after the backup was checked"]
            }
            #expect(try await extratoCount(month, client) == nil)
        }
    }

    /// break-close 10: a late record backed up as version 2, then edited: the check names the
    /// change, the close refuses to merge it, `backup create` writes version 3 with the new
    /// amount, and then it merges.
    @Test func aLateRecordEditedAfterItsVersionIsBackedUpAgainBeforeItIsMerged() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger)
            _ = try await writer.create(month)
            _ = try await closeMonth(month, try await verifier.verified(month).report, client)
            let late = try await lateGasto(month, day: 21, client)
            guard case .created(let v2) = try await writer.create(month) else { Issue.record("no v2"); return }
            #expect(v2.version == 2)
            let stale = try await verifier.verified(month).report
            try await client.query("UPDATE gastos SET valor = 999.99 WHERE id = \(late)", logger: logger)
            #expect(try await verifier.verify(month).problems.contains { $0.hasPrefix("1 gasto record(s) that arrived after the close changed amount") })
            await #expect(throws: BackupError.self) { _ = try await closeMonth(month, force: true, stale, client) }
            guard case .created(let v3) = try await writer.create(month) else { Issue.record("no v3"); return }
            #expect(v3.version == 3)
            let now = try await verifier.verified(month).report
            #expect(try await closeMonth(month, force: true, now, client) == .generated(moved: ["pagamento": 0, "sessao": 0, "comissao": 0, "gasto": 1]))
            #expect(try await client.scalar("""
                SELECT (e->>'valor')::text FROM extratos, jsonb_array_elements(gastos) e
                WHERE ano = \(month.year) AND mes = \(month.month) AND (e->>'id')::int8 = \(late)
                """, as: String.self) == "999.99")
        }
    }

    /// break-close 4: after the close, the local file of the month's backup is damaged; the
    /// next backup-month must not upload it over the bucket's good copy. It restores the local
    /// file from the bucket instead; with the bucket's copy damaged too, it fails and uploads nothing.
    @Test func aDamagedLocalBackupNeverReplacesTheBucketsCopy() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let bucket = try await TestObjectStorage.freshBucket("damaged")
            let settings = BackOfficeSettings(backupDirectory: fixture.backups, branchID: "damaged-\(UUID().uuidString.prefix(6).lowercased())")
            let job = BackupMonthJob(settings: settings, database: TestDatabase.url, offsite: bucket)
            #expect(try await run(job, .init(year: month.year, month: month.month), client: client).state == .succeeded)
            _ = try await closeMonth(month, try await BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger).verified(month).report, client)
            let location = BackupLocation(baseDirectory: fixture.backups, month: month)
            let key = "\(settings.branch.id)/monthly/\(month.folderName)/\(location.fileName)"
            let good = try FileDigest.sha256(of: location.csv)
            try Data(try Data(contentsOf: location.csv).prefix(300)).write(to: location.csv)

            #expect(try await run(job, .init(year: month.year, month: month.month), client: client).state == .succeeded)
            #expect(try await bucket.head(key)?.sha256 == good.sha256, "the bucket keeps the good copy")
            #expect(try FileDigest.sha256(of: location.csv).sha256 == good.sha256, "the local file is restored from it")

            try Data("damaged".utf8).write(to: location.csv)
            _ = try await bucket.put(key, data: Data("also damaged".utf8), contentType: "text/csv")
            let failed = try await run(job, .init(year: month.year, month: month.month), client: client)
            #expect(failed.state == .discarded)
            #expect(failed.lastError?.contains("is damaged and was not uploaded") == true, "\(failed.lastError ?? "")")
            #expect(try await bucket.get(key) == Data("also damaged".utf8), "nothing uploaded")
        }
    }

    /// break-close 14: a writer killed mid-write leaves its `.tmp-` file; the next writer of the
    /// month, holding the month's lock, removes it.
    @Test func theNextWriterRemovesATemporaryFileAKilledWriterLeft() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let folder = BackupLocation(baseDirectory: fixture.backups, month: fixture.month).directory
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let left = folder.appendingPathComponent(".backup_\(fixture.month.folderName).v2.csv.tmp-99999-1")
            try Data("half".utf8).write(to: left)
            _ = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger).create(fixture.month)
            #expect(!FileManager.default.fileExists(atPath: left.path))
        }
    }
}
