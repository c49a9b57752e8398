@testable import BackOffice
import Database
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage
import PostgresNIO
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 34 item 1: a closed month's backup is never shrunk. Its records are in the extrato and
/// gone from the tables, so a backup written again holds only what arrived after the close — as
/// a new version beside the old one, never over it — and the check compares the backup with the
/// extrato, naming late records as their own finding.
@Suite struct ClosedMonthBackupTests {
    let logger = TestDatabase.logger

    func lateGasto(_ month: StudioMonth, day: Int, _ client: PostgresClient) async throws -> Int64 {
        let date = String(format: "%04d-%02d-%02d", month.year, month.month, day)
        return try #require(try await client.scalar(PostgresQuery(unsafeSQL: """
            INSERT INTO gastos (data, valor, descricao, categoria, forma_pagamento)
            VALUES (DATE '\(date)', 123.45, 'tinta preta (chegou depois)', 'material', 'pix') RETURNING id
            """), as: Int64.self))
    }

    func extratoCount(_ month: StudioMonth, _ client: PostgresClient) async throws -> Int? {
        try await client.scalar("""
            SELECT (jsonb_array_length(pagamentos) + jsonb_array_length(sessoes) + jsonb_array_length(comissoes) + jsonb_array_length(gastos))::int
            FROM extratos WHERE ano = \(month.year) AND mes = \(month.month)
            """, as: Int.self)
    }

    /// Runs one job on a worker of its own and waits for it to finish; its final record.
    func run<Kind: JobKind>(_ kind: Kind, _ args: Kind.Args, client: PostgresClient) async throws -> JobRecord {
        let queue = TestDatabase.uniqueQueue("closed")
        var registry = JobRegistry()
        try registry.register(kind)
        let store = JobStore(client: client, logger: logger)
        let job = try await store.enqueue(try NewJob(Kind.self, args: args, queue: queue, maxAttempts: 1))
        let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
        try await eventually(timeout: .seconds(60), "\(Kind.kind) finished") {
            let state = try await store.job(job.id)?.state
            return state == .succeeded || state == .discarded
        }
        try await harness.stop()
        return try #require(try await store.job(job.id))
    }

    /// Item 1's exact sequence, on the worker's jobs with the bucket: back up, close, a gasto
    /// arrives dated in the closed month, the check names it, `backup create --force`, then
    /// `extrato generate --force` — and the month's full backup is still there, locally and in
    /// the bucket, beside the late one.
    @Test func theSequenceOfItem1KeepsTheFullBackupAndMergesTheLateRecord() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let bucket = try await TestObjectStorage.freshBucket("closed")
            let settings = BackOfficeSettings(backupDirectory: fixture.backups, branchID: "closed-\(UUID().uuidString.prefix(6).lowercased())")
            let backupJob = BackupMonthJob(settings: settings, database: TestDatabase.url, offsite: bucket)
            let offsite = OffsiteCopy(store: bucket, branch: settings.branch.id)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, offsite: offsite, logger: logger)

            #expect(try await run(backupJob, .init(year: month.year, month: month.month), client: client).state == .succeeded)
            let v1 = BackupLocation(baseDirectory: fixture.backups, month: month)
            let v1Digest = try FileDigest.sha256(of: v1.csv)
            #expect(try await run(GenerateExtratoJob(settings: settings), .init(year: month.year, month: month.month), client: client).state == .succeeded)
            #expect(try await fixture.liveCount(client) == 0)
            #expect(try await extratoCount(month, client) == 40)
            let closedReport = try await verifier.verify(month)
            #expect(closedReport.ok && closedReport.closed, "the closed month's backup checks against the extrato: \(closedReport.problems)")

            // A gasto dated the 21st arrives after the close.
            let late = try await lateGasto(month, day: 21, client)
            let finding = String(format: "1 gasto dated %04d-%02d-21 arrived after the close", month.year, month.month)
            let report = try await verifier.verify(month)
            #expect(report.problems == [finding], "the late record is its own finding, not a broken backup: \(report.problems)")
            #expect(report.lateRecords == [LateRecords(type: "gasto", count: 1, dates: [String(format: "%04d-%02d-21", month.year, month.month)], backedUp: false)])
            await #expect {
                try await verifier.verifiedManifest(month)
            } throws: { error in
                guard case .lateRecords(month, [finding])? = error as? BackupError else { return false }
                return (error as? BackupError)?.remedy == .backUpLateRecords(year: month.year, month: month.month)
            }
            // The close refuses until the late record is backed up: it would leave the tables in no backup.
            let refused = try await run(GenerateExtratoJob(settings: settings), .init(year: month.year, month: month.month, force: true), client: client)
            // The job history words it as the CLI does (ErrorText): the finding and the two commands that handle it.
            let recorded = refused.lastError ?? ""
            #expect(refused.state == .discarded && recorded.contains(finding)
                    && recorded.contains("nightshift backup create --year \(month.year) --month \(month.month)")
                    && recorded.contains("nightshift extrato generate --year \(month.year) --month \(month.month) --force"), "\(recorded)")

            // What the operator was told to do: create the backup again, with --force.
            #expect(try await run(backupJob, .init(year: month.year, month: month.month, force: true), client: client).state == .succeeded)
            let manifest = try BackupManifest.decoder.decode(BackupManifest.self, from: Data(contentsOf: v1.manifest))
            #expect(manifest.version == 2 && manifest.scope == .afterClose && manifest.file == "backup_\(month.folderName).v2.csv")
            #expect(manifest.records == ["pagamento": 0, "sessao": 0, "comissao": 0, "gasto": 1])
            #expect(manifest.history?.map(\.totalRecords) == [40] && manifest.history?.first?.file == v1.fileName)
            #expect(try FileDigest.sha256(of: v1.csv) == v1Digest, "the full backup is untouched")
            let v2 = BackupLocation(baseDirectory: fixture.backups, month: month, version: 2)
            #expect(try String(contentsOf: v2.csv, encoding: .utf8).contains("\r\ngasto,\(late),"))
            let prefix = "\(settings.branch.id)/monthly/\(month.folderName)/"
            #expect(Set(try await bucket.list(prefix: prefix).map(\.key)) == [prefix + v1.fileName, prefix + v2.fileName, prefix + v1.manifest.lastPathComponent])
            #expect(try await bucket.head(prefix + v1.fileName)?.sha256 == v1Digest.sha256, "the bucket's full copy is untouched too")

            let backedUp = try await verifier.verify(month)
            #expect(backedUp.ok && backedUp.heldLive["gasto"] == 1 && backedUp.lateRecords.map(\.backedUp) == [true], "\(backedUp.problems)")
            // Again, without --force: nothing new arrived, nothing is written.
            guard case .alreadyExists = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger).create(month)
            else { Issue.record("a version was written for records already backed up"); return }

            #expect(try await run(GenerateExtratoJob(settings: settings), .init(year: month.year, month: month.month, force: true), client: client).state == .succeeded)
            #expect(try await extratoCount(month, client) == 41, "the late gasto merged")
            let after = try await verifier.verify(month)
            #expect(after.ok && after.lateRecords.isEmpty && after.versions.count == 2, "\(after.problems) \(after.notes)")
            // A forced re-create now has nothing to add: it keeps both versions as they are.
            guard case .alreadyExists = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger).create(month, force: true)
            else { Issue.record("rewritten"); return }
            #expect(try FileDigest.sha256(of: v1.csv) == v1Digest)
        }
    }

    /// Item 1 as the operator typed it, with the real `nightshift` binary: create, close, a late
    /// gasto, `backup verify` names it and the commands, `backup create --force` adds version 2,
    /// `extrato generate --force` merges it, `backup verify` passes — version 1 untouched.
    @Test func theSequenceOfItem1OnTheCommandLine() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let which = ["--year", "\(month.year)", "--month", "\(month.month)", "--base-dir", fixture.backups.path]
            func run(_ arguments: [String]) async throws -> (Int32, String) {
                let child = try ChildProcess(arguments + which, environment: ["BACKUP_DIR": fixture.backups.path])
                let status = try await child.waitForExit(timeout: .seconds(60))
                return (status, child.log)
            }
            #expect(try await run(["backup", "create"]).0 == 0)
            let v1 = BackupLocation(baseDirectory: fixture.backups, month: month)
            let digest = try FileDigest.sha256(of: v1.csv)
            // break-office2 3: local-only mode copies the month's CSV to BACKUP_STORE_DIR, as dumps.
            let copy = fixture.backups.appendingPathComponent("store/default/monthly/\(month.folderName)/\(v1.fileName)")
            #expect(FileManager.default.fileExists(atPath: copy.path) && (try? FileDigest.sha256(of: copy))?.sha256 == digest.sha256, "no copy at \(copy.path)")
            #expect(try await run(["extrato", "generate"]).0 == 0)
            _ = try await lateGasto(month, day: 21, client)

            let (failed, said) = try await run(["backup", "verify"])
            let finding = String(format: "1 gasto dated %04d-%02d-21 arrived after the close", month.year, month.month)
            #expect(failed != 0 && said.contains(finding) && said.contains("nightshift backup create --year \(month.year) --month \(month.month)")
                    && said.contains("--force"), "\(said)")
            let (refused, why) = try await run(["extrato", "generate", "--force"])
            #expect(refused != 0 && why.contains(finding), "\(why)")

            let (created, wrote) = try await run(["backup", "create", "--force"])
            #expect(created == 0 && wrote.contains("backup_\(month.folderName).v2.csv") && wrote.contains("kept: version 1"), "\(wrote)")
            #expect(try await run(["extrato", "generate", "--force"]).0 == 0)
            let (ok, fine) = try await run(["backup", "verify"])
            #expect(ok == 0, "\(fine)")
            // break-close 15: what the backup holds for the closed month, not the current file's 1 record.
            #expect(fine.contains("41 records of the closed month across 2 version(s)"), "\(fine)")
            #expect(try FileDigest.sha256(of: v1.csv) == digest, "version 1, the 40 records, untouched")
            let v2copy = fixture.backups.appendingPathComponent("store/default/monthly/\(month.folderName)/backup_\(month.folderName).v2.csv")
            #expect(FileManager.default.fileExists(atPath: v2copy.path), "version 2 is copied too")
            #expect(try await extratoCount(month, client) == 41)
        }
    }

    /// A closed month whose backup lost its full version (deleted, or shrunk by hand) is a
    /// problem named by how many of the extrato's records no version holds; a damaged earlier
    /// version is a note, and its records do not count.
    @Test func aClosedMonthsBackupMissingTheExtratosRecordsFailsTheCheck() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger)
            _ = try await writer.create(month)
            _ = try await Transaction.run(on: client, logger: logger) { connection in
                try await ExtratoGenerator(logger: logger).close(month, force: false, jobID: nil, on: connection)
            }
            _ = try await lateGasto(month, day: 3, client)
            guard case .created(let v2) = try await writer.create(month) else { Issue.record("the late record was not backed up"); return }
            #expect(v2.version == 2 && v2.totalRecords == 1, "written without --force: it only adds")
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger)
            #expect(try await verifier.verify(month).ok)

            // Flip a byte of version 1: the extrato's 40 records are now in no intact version.
            let v1 = BackupLocation(baseDirectory: fixture.backups, month: month).csv
            var bytes = try Data(contentsOf: v1)
            bytes[bytes.count - 3] ^= 0x01
            try bytes.write(to: v1)
            let report = try await verifier.verify(month)
            #expect(!report.ok && report.notes.contains { $0.contains("earlier version 1") && $0.contains("checksum") }, "\(report.notes)")
            #expect(report.problems.contains { $0.contains("of the month's extrato are in no intact version of its backup") }, "\(report.problems)")
            await #expect(throws: BackupError.self) { try await verifier.verifiedManifest(month) }
        }
    }

    /// Two sessions interleaved: the backup is checked, then a record arrives before the close
    /// locks the month. The close counts what it locked against what the backup holds and rolls
    /// back instead of moving a record no backup has.
    @Test func aRecordArrivingBetweenTheCheckAndTheCloseStopsTheClose() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            _ = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger).create(month)
            let checked = try await BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger).verified(month).report
            #expect(checked.heldLive == ["pagamento": 10, "sessao": 10, "comissao": 10, "gasto": 10])
            _ = try await lateGasto(month, day: 9, client)
            await #expect {
                try await Transaction.run(on: client, logger: logger) { connection in
                    try await ExtratoGenerator(logger: logger).close(month, force: false, jobID: nil, backedUp: checked.heldLive, on: connection)
                }
            } throws: { error in
                guard case .missingOrInvalid(month, let problems)? = error as? BackupError else { return false }
                return problems == ["1 gasto record(s) arrived after the backup was checked"]
            }
            #expect(try await fixture.liveCount(client) == 41, "rolled back: nothing moved")
            #expect(try await extratoCount(month, client) == nil)
        }
    }

    /// Two sessions interleaved, amounts this time: a gasto's valor is edited after the backup
    /// was checked and before the close locks the month. Counts alone would pass; the backup's
    /// exact totals stop the close, and `backup verify` names the change.
    @Test func anAmountEditedBetweenTheCheckAndTheCloseStopsTheClose() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            guard case .created(let manifest) = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger).create(month)
            else { Issue.record("not created"); return }
            let exact = try await client.scalar(PostgresQuery(unsafeSQL: """
                SELECT sum(valor)::numeric(18,2)::text FROM gastos WHERE \(MonthRecords.inMonth("gastos", month))
                """), as: String.self)
            #expect(manifest.totals?["gasto"] == exact && manifest.totals?.count == 4, "\(manifest.totals ?? [:])")
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger)
            let checked = try await verifier.verified(month).report
            try await client.query(PostgresQuery(unsafeSQL: """
                UPDATE gastos SET valor = valor + 0.01 WHERE id = (SELECT min(id) FROM gastos WHERE \(MonthRecords.inMonth("gastos", month)))
                """), logger: logger)
            await #expect {
                try await Transaction.run(on: client, logger: logger) { connection in
                    try await ExtratoGenerator(logger: logger).close(month, force: false, jobID: nil, backedUp: checked.heldLive,
                                                                     backedUpTotals: checked.heldTotals, on: connection)
                }
            } throws: { error in
                guard case .missingOrInvalid(month, let problems)? = error as? BackupError else { return false }
                return problems.count == 1 && problems[0].contains("a record changed after the backup was checked")
            }
            #expect(try await fixture.liveCount(client) == 40, "rolled back")
            #expect(try await verifier.verify(month).problems.contains { $0.contains("1 gasto record(s) of \(month.label) have another amount in the database") })
        }
    }

    /// Two sessions interleaved: a sessao of the month is inserted in a transaction held open
    /// while the backup and the close run. Neither sees it (uncommitted); it commits after the
    /// close, so it is a late record: named by the check, backed up as version 2, then merged —
    /// never a record that is in the tables, in no backup and unnoticed. (A sessao, not a gasto:
    /// other tests add triggers to gastos, whose table lock would queue behind this transaction.)
    @Test func anInsertHeldOpenAcrossTheCloseBecomesALateRecordNotALostOne() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let day = String(format: "%04d-%02d-15", month.year, month.month)
            let (inserted, insertedSignal) = AsyncStream<Int64>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    var id: Int64 = 0
                    for try await value in try await connection.query(PostgresQuery(unsafeSQL: """
                        INSERT INTO sessoes (data, valor, cliente_id, artista_id, observacoes)
                        SELECT DATE '\(day)', 10.00, cliente_id, artista_id, 'held open' FROM sessoes
                        WHERE \(MonthRecords.inMonth("sessoes", month)) ORDER BY id LIMIT 1 RETURNING id
                        """), logger: logger).decode(Int64.self) { id = value }
                    insertedSignal.yield(id)
                    for await _ in release { break }
                    try await connection.query("COMMIT", logger: logger)
                }
            }
            var waiting = inserted.makeAsyncIterator()
            let held = try #require(await waiting.next())
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger)
            _ = try await writer.create(month)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger)
            let checked = try await verifier.verified(month).report
            _ = try await Transaction.run(on: client, logger: logger) { connection in
                try await ExtratoGenerator(logger: logger).close(month, force: false, jobID: nil, backedUp: checked.heldLive, on: connection)
            }
            releaseSignal.yield()
            try await holder.value

            #expect(try await verifier.verify(month).problems == ["1 sessao dated \(day) arrived after the close"])
            guard case .created(let v2) = try await writer.create(month) else { Issue.record("not backed up"); return }
            #expect(v2.scope == .afterClose && v2.totalRecords == 1)
            let now = try await verifier.verified(month).report
            #expect(now.heldLive["sessao"] == 1)
            #expect(try await Transaction.run(on: client, logger: logger) { connection in
                try await ExtratoGenerator(logger: logger).close(month, force: true, jobID: nil, backedUp: now.heldLive, on: connection)
            } == .generated(moved: ["pagamento": 0, "sessao": 1, "comissao": 0, "gasto": 0]))
            let final = try await verifier.verify(month)
            #expect(final.ok && final.lateRecords.isEmpty && final.closed, "\(final.problems)")
            #expect(try await client.scalar("""
                SELECT count(*)::int FROM extratos, jsonb_array_elements(sessoes) e
                WHERE ano = \(month.year) AND mes = \(month.month) AND (e->>'id')::int8 = \(held)
                """, as: Int.self) == 1)
        }
    }

    /// A second writer of the same month while one holds the month's lock fails at once with a
    /// message, instead of both picking version 2 and one manifest losing the other's entry.
    @Test func aSecondWriterOfTheSameMonthIsRefusedWhileTheFirstWrites() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger)
            try FileManager.default.createDirectory(at: fixture.backups, withIntermediateDirectories: true)
            let held = open(fixture.backups.appendingPathComponent(".backup_\(fixture.month.folderName).lock").path, O_RDWR | O_CREAT, 0o600)
            #expect(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0)
            await #expect(throws: BackupError.busy(fixture.month)) { try await writer.create(fixture.month) }
            close(held)
            guard case .created(let first) = try await writer.create(fixture.month) else { Issue.record("not created"); return }
            guard case .created(let second) = try await writer.create(fixture.month, force: true) else { Issue.record("not created"); return }
            #expect(first.version == 1 && second.version == 2 && second.history?.map(\.sha256) == [first.sha256]
                    && second.history?.map(\.file) == [first.file])
            // Operator repeats --force: each run a version of its own, none lost.
            guard case .created(let third) = try await writer.create(fixture.month, force: true) else { Issue.record("not created"); return }
            #expect(third.versions.map(\.version) == [1, 2, 3] && third.versions.allSatisfy { $0.totalRecords == 8 })
            #expect(try await BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger).verify(fixture.month).ok)
        }
    }
}
