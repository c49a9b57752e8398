import Age
@testable import BackOffice
import Database
import Foundation
import NightshiftCore
import PostgresNIO
import Testing
import TestSupport

/// What the first breaker of the month close left (break-close 3, 9, 11, 15): a closed month
/// whose backup no longer holds its extrato has a way out, a version that cannot be read here is
/// not written again and again, a lost manifest is rebuilt from the intact files, and the check
/// says what the backup holds for the month, not what its current file holds.
@Suite struct ClosedMonthBackupWayOutTests {
    let logger = TestDatabase.logger

    func lateGasto(_ month: StudioMonth, day: Int, cents: Int = 12345, _ client: PostgresClient) async throws -> Int64 {
        let date = String(format: "%04d-%02d-%02d", month.year, month.month, day)
        return try #require(try await client.scalar(PostgresQuery(unsafeSQL: """
            INSERT INTO gastos (data, valor, descricao, categoria, forma_pagamento)
            VALUES (DATE '\(date)', \(cents) / 100.0, 'chegou depois', 'material', 'pix') RETURNING id
            """), as: Int64.self))
    }

    func close(_ month: StudioMonth, force: Bool = false, report: BackupVerifier.Report? = nil, _ client: PostgresClient) async throws {
        _ = try await Transaction.run(on: client, logger: logger) { connection in
            try await ExtratoGenerator(logger: logger).close(month, force: force, jobID: nil, backedUp: report?.heldLive,
                                                            backedUpTotals: report?.heldTotals, backedUpRecords: report?.heldRecords,
                                                            backedUpFingerprint: report?.heldFingerprint, on: connection)
        }
    }

    func dataLines(_ url: URL) throws -> Set<String> {
        Set(try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty })
    }

    /// break-close 3: version 1 damaged after the close, so the extrato's 40 records are in no
    /// intact version. `backup create` has nothing to write from the tables (the loop); the error
    /// names `--from-extrato`, which writes the extrato's own records — the same CSV lines the
    /// month's first backup had — as version 2; the check passes, and late records then go the
    /// usual way (version 3, merged).
    @Test func aClosedMonthWhoseBackupLostItsRecordsIsWrittenAgainFromItsExtrato() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger)
            _ = try await writer.create(month)
            let v1 = BackupLocation(baseDirectory: fixture.backups, month: month)
            let original = try dataLines(v1.csv)
            #expect(original.count == 40)
            try await close(month, client)
            var bytes = try Data(contentsOf: v1.csv)
            bytes[bytes.count - 3] ^= 0x01
            try bytes.write(to: v1.csv)

            await #expect {
                try await verifier.verifiedManifest(month)
            } throws: { error in
                guard case .extratoNotBackedUp(month, _)? = error as? BackupError else { return false }
                return (error as? BackupError)?.remedy == .backUpFromExtrato(year: month.year, month: month.month)
            }
            guard case .alreadyExists = try await writer.create(month, force: true) else { Issue.record("nothing in the tables to write"); return }
            // A month nobody closes (the fixtures' months are in 2000–2023, a year apart is another test's).
            await #expect(throws: BackupError.notClosed(try StudioMonth(year: 2999, month: 11))) {
                try await writer.create(try StudioMonth(year: 2999, month: 11), fromExtrato: true)
            }

            guard case .created(let v2) = try await writer.create(month, fromExtrato: true) else { Issue.record("no version from the extrato"); return }
            #expect(v2.version == 2 && v2.scope == .extrato && v2.totalRecords == 40 && v2.history?.count == 1, "\(v2)")
            let v2File = BackupLocation(baseDirectory: fixture.backups, month: month, version: 2).csv
            #expect(try dataLines(v2File) == original, "the extrato's records, column for column, as the first backup wrote them")
            let report = try await verifier.verify(month)
            #expect(report.ok, "\(report.problems)")
            #expect(report.monthRecords?.values.reduce(0, +) == 40)
            guard case .alreadyExists = try await writer.create(month, fromExtrato: true) else { Issue.record("written twice"); return }

            _ = try await lateGasto(month, day: 21, client)
            guard case .created(let v3) = try await writer.create(month) else { Issue.record("the late record was not backed up"); return }
            #expect(v3.version == 3 && v3.scope == .afterClose && v3.recordsForMonth == 41, "\(v3)")
            let checked = try await verifier.verified(month).report
            try await close(month, force: true, report: checked, client)
            let after = try await verifier.verify(month)
            #expect(after.ok && after.lateRecords.isEmpty && after.monthRecords?.values.reduce(0, +) == 41, "\(after.problems)")
        }
    }

    /// break-close 9: encrypted, no identity where `backup create` runs. A late record's version
    /// cannot be read back here, yet its fingerprint says it holds exactly that record: running
    /// again writes nothing (it wrote v3, v4, v5 … before). A changed amount is new: one more version.
    @Test func anUnreadableVersionHoldingTheLateRecordsIsNotWrittenAgain() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 12)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let owner = AgeIdentity()
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups,
                                           encryption: BackupEncryption(recipients: [owner.recipient]), logger: logger)
            _ = try await writer.create(month)
            try await close(month, client)
            let late = try await lateGasto(month, day: 9, client)
            guard case .created(let v2) = try await writer.create(month) else { Issue.record("the late record was not backed up"); return }
            #expect(v2.version == 2 && v2.fingerprint != nil && v2.encryption == "age")
            for _ in 1...3 {
                guard case .alreadyExists(let kept) = try await writer.create(month) else { Issue.record("the same late record written again"); return }
                #expect(kept.version == 2)
            }
            guard case .alreadyExists = try await writer.create(month, force: true) else { Issue.record("--force wrote it again"); return }
            try await client.query("UPDATE gastos SET valor = 99.99 WHERE id = \(late)", logger: logger)
            guard case .created(let v3) = try await writer.create(month) else { Issue.record("a changed amount is new"); return }
            #expect(v3.version == 3 && v3.fingerprint != v2.fingerprint)
            let files = try FileManager.default.contentsOfDirectory(atPath: BackupLocation(baseDirectory: fixture.backups, month: month).directory.path)
            #expect(files.filter { $0.hasSuffix(".csv.age") }.count == 3, "\(files)")
        }
    }

    /// break-office3 5: encrypted, no identity where the month is checked and closed. The late
    /// record's version cannot be read here, but its manifest's fingerprint is that of exactly the
    /// late records: verify counts it backed up (as the writer does, which says "already exists"),
    /// and `extrato generate --force` merges it. Changed after, the fingerprint no longer matches.
    @Test func aLateRecordHeldByAnUnreadableVersionIsBackedUpForVerifyAndTheClose() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 12)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let owner = AgeIdentity()
            let encryption = BackupEncryption(recipients: [owner.recipient])
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, encryption: encryption, logger: logger)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, encryption: encryption, logger: logger)
            _ = try await writer.create(month)
            try await close(month, client)
            let late = try await lateGasto(month, day: 21, client)
            guard case .created = try await writer.create(month) else { Issue.record("the late record was not backed up"); return }
            guard case .alreadyExists = try await writer.create(month) else { Issue.record("the writer does not count it held"); return }
            let report = try await verifier.verify(month)
            #expect(report.ok, "\(report.problems)")
            #expect(report.lateRecords.map(\.backedUp) == [true], "\(report.lateRecords)")
            // Changed after its version was written: not held any more, and the close refuses it.
            try await client.query("UPDATE gastos SET valor = 1.01 WHERE id = \(late)", logger: logger)
            let changed = try await verifier.verify(month)
            #expect(!changed.ok && changed.lateRecords.map(\.backedUp) == [false], "\(changed.lateRecords)")
            await #expect(throws: BackupError.self) { try await close(month, force: true, report: report, client) }
            try await client.query("UPDATE gastos SET valor = 123.45 WHERE id = \(late)", logger: logger)
            try await close(month, force: true, report: try await verifier.verify(month), client)
            #expect(try await fixture.liveCount(client) == 0, "merged into the extrato")
        }
    }

    /// break-close 11: the manifest of a closed month is lost. `backup create` rebuilds it from
    /// the intact files (not "has no CSV backup"), the check passes again; a late record then
    /// gets version 3 with versions 1 and 2 in its history, none orphaned.
    @Test func aLostManifestOfAClosedMonthIsRebuiltFromItsIntactFiles() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 20)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger)
            let location = BackupLocation(baseDirectory: fixture.backups, month: month)
            _ = try await writer.create(month)
            try await close(month, client)
            try FileManager.default.removeItem(at: location.manifest)
            let lost = try await verifier.verify(month)
            #expect(lost.problems.contains { $0.contains("is missing or unreadable") && $0.contains("nightshift backup create") }, "\(lost.problems)")

            guard case .readopted(let rebuilt) = try await writer.create(month) else { Issue.record("not rebuilt"); return }
            #expect(rebuilt.versions.map(\.file) == [location.fileName] && rebuilt.totalRecords == 20)
            #expect(try await verifier.verify(month).ok)

            _ = try await lateGasto(month, day: 4, client)
            guard case .created = try await writer.create(month) else { Issue.record("the late record was not backed up"); return }
            try FileManager.default.removeItem(at: location.manifest)
            _ = try await lateGasto(month, day: 5, client)
            guard case .created(let v3) = try await writer.create(month) else { Issue.record("the second late record was not backed up"); return }
            #expect(v3.version == 3 && v3.history?.map(\.version) == [1, 2], "\(v3.versions.map(\.file))")
            let report = try await verifier.verify(month)
            #expect(report.ok && report.versions.count == 3 && report.monthRecords?.values.reduce(0, +) == 22, "\(report.problems)")
        }
    }

    /// break-office2 15: a closed month's encrypted backup checked with another identity (a key
    /// rotation that dropped the old one): the file cannot be decrypted — a problem — but it is
    /// not "shrunk or lost": its records count from its manifest.
    @Test func aWrongIdentityIsNotALostBackup() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 8)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let owner = AgeIdentity()
            _ = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups,
                                            encryption: BackupEncryption(recipients: [owner.recipient]), logger: logger).create(month)
            try await close(month, client)
            let right = try await BackupVerifier(client: client, baseDirectory: fixture.backups,
                                                 encryption: BackupEncryption(recipients: [], identities: [owner]), logger: logger).verify(month)
            #expect(right.ok, "\(right.problems)")
            let wrong = try await BackupVerifier(client: client, baseDirectory: fixture.backups,
                                                 encryption: BackupEncryption(recipients: [], identities: [AgeIdentity()]), logger: logger).verify(month)
            #expect(wrong.problems.contains { $0.contains("cannot be decrypted") }, "\(wrong.problems)")
            #expect(!wrong.problems.contains { $0.contains("shrunk or lost") }, "\(wrong.problems)")
        }
    }

    /// break-office2 11: an open month's backup whose files match their manifest but not the
    /// month's rows (a record typed since) is not "already there": the next version is written,
    /// so the close that follows finds it; with nothing changed, nothing is written.
    @Test func anOpenMonthsStaleBackupIsWrittenAgainWithoutForce() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 12)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: logger)
            _ = try await writer.create(month)
            guard case .alreadyExists = try await writer.create(month) else { Issue.record("rewritten with nothing changed"); return }
            _ = try await lateGasto(month, day: 28, client)
            guard case .created(let v2) = try await writer.create(month) else { Issue.record("a stale backup was kept"); return }
            #expect(v2.version == 2 && v2.totalRecords == 13)
            #expect(try await BackupVerifier(client: client, baseDirectory: fixture.backups, logger: logger).verify(month).ok)
            guard case .alreadyExists = try await writer.create(month) else { Issue.record("rewritten again"); return }
        }
    }

    /// break-office2 5: encrypted, no identity where the close runs, so the backup's records
    /// cannot be read: a gasto swapped for another of the same amount keeps count and total, but
    /// not the manifest's fingerprint — the check names it, and a close handed the fingerprint
    /// refuses to move a record the backup does not hold.
    @Test func aSwappedRecordOfAnUnreadableBackupIsCaughtByItsFingerprint() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 12)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let sealed = BackupEncryption(recipients: [AgeIdentity().recipient])
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, encryption: sealed, logger: logger)
            guard case .created(let manifest) = try await writer.create(month) else { Issue.record("not written"); return }
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, encryption: sealed, logger: logger)
            let checked = try await verifier.verify(month)
            #expect(checked.ok && checked.heldFingerprint == manifest.fingerprint && manifest.fingerprint != nil, "\(checked.problems)")

            try await client.query(PostgresQuery(unsafeSQL: """
                WITH gone AS (DELETE FROM gastos WHERE id = (SELECT min(id) FROM gastos WHERE data >= DATE '\(month.firstDay)'
                                                           AND data < DATE '\(month.nextFirstDay)') RETURNING data, valor)
                INSERT INTO gastos (data, valor, descricao, categoria, forma_pagamento) SELECT data, valor, 'trocado', 'material', 'pix' FROM gone
                """), logger: logger)
            let swapped = try await verifier.verify(month)
            #expect(!swapped.ok && swapped.problems.contains { $0.contains("manifest's fingerprint") }, "\(swapped.problems)")
            // The swap lands after the check: the close compares what it moves with the fingerprint.
            await #expect(throws: BackupError.self) { try await close(month, report: checked, client) }
            #expect(try await fixture.liveCount(client) > 0, "nothing moved")
        }
    }

    /// break-office2 1: with a bucket, `backup create` on the command line copies every version
    /// and the manifest there, as the backup-month job does — a late record's version is off
    /// this disk before the close merges it.
    @Test func backupCreateOnTheCommandLineCopiesEveryVersionToTheBucket() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 10)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let month = fixture.month
            let bucket = try await TestObjectStorage.freshBucket("cli-copy")
            let (endpoint, credentials) = try TestObjectStorage.server()
            let branch = "cli-\(UUID().uuidString.prefix(6).lowercased())"
            let environment = [
                "BACKUP_DIR": fixture.backups.path, "BRANCH_ID": branch,
                "BACKUP_S3_ENDPOINT": endpoint.absoluteString, "BACKUP_S3_BUCKET": bucket.configuration.bucket,
                "BACKUP_S3_ACCESS_KEY": credentials.accessKeyID, "BACKUP_S3_SECRET_KEY": credentials.secretAccessKey,
                "BACKUP_S3_REGION": TestObjectStorage.region,
            ]
            func run(_ arguments: [String]) async throws -> (Int32, String) {
                let child = try ChildProcess(arguments + ["--year", "\(month.year)", "--month", "\(month.month)"], environment: environment)
                return (try await child.waitForExit(timeout: .seconds(60)), child.log)
            }
            let prefix = "\(branch)/monthly/\(month.folderName)/"
            let (created, said) = try await run(["backup", "create"])
            #expect(created == 0 && said.contains("copied to the bucket"), "\(said)")
            #expect(Set(try await bucket.list(prefix: prefix).map(\.key)) == [prefix + "backup_\(month.folderName).csv", prefix + "backup_\(month.folderName).manifest.json"])
            #expect(try await run(["extrato", "generate"]).0 == 0)
            _ = try await lateGasto(month, day: 11, client)
            #expect(try await run(["backup", "create"]).0 == 0)
            #expect(try await bucket.head(prefix + "backup_\(month.folderName).v2.csv") != nil, "the late record's version is in the bucket")
            let (verified, fine) = try await run(["backup", "verify"])
            #expect(verified == 0 && fine.contains("off-site copy matches"), "\(fine)")
        }
    }
}
