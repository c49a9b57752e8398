import BackOffice
import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

@Suite struct MonthBackupTests {
    @Test func theCSVReadBackByPythonEqualsTheDatabaseRows() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client)
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger)
            guard case .created(let manifest) = try await writer.create(fixture.month) else { Issue.record("not created"); return }
            #expect(manifest.totalRecords == 200)
            let location = BackupLocation(baseDirectory: fixture.backups, month: fixture.month)
            #expect(location.csv.path.hasSuffix("/\(fixture.month.folderName)/backup_\(fixture.month.folderName).csv"))
            let attributes = try FileManager.default.attributesOfItem(atPath: location.csv.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            // An independent parser: Python's csv module, reading UTF-8 with BOM.
            let script = """
                import csv, json, sys
                with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
                    rows = list(csv.DictReader(f))
                print(json.dumps({r['type'] + ':' + r['id']: [r['valor'], r['observacoes'], r['cliente_name'], r['forma_pagamento']] for r in rows}))
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, location.csv.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let parsed = try JSONDecoder().decode([String: [String]].self, from: output)
            #expect(parsed.count == 200)

            let rows = try await client.query(PostgresQuery(unsafeSQL: """
                SELECT 'pagamento:' || p.id, p.valor::text, coalesce(p.observacoes, ''), c.name, p.forma_pagamento
                FROM pagamentos p JOIN clientes c ON c.id = p.cliente_id
                WHERE p.data >= '\(fixture.month.firstDay)' AND p.data < '\(fixture.month.nextFirstDay)'
                UNION ALL
                SELECT 'gasto:' || g.id, g.valor::text, coalesce(g.observacoes, ''), '', coalesce(g.forma_pagamento, '')
                FROM gastos g WHERE g.data >= '\(fixture.month.firstDay)' AND g.data < '\(fixture.month.nextFirstDay)'
                """), logger: TestDatabase.logger)
            var compared = 0
            var sawQuote = false, sawNewline = false, sawComma = false, sawAccent = false
            for try await (key, valor, observacoes, cliente, forma) in rows.decode((String, String, String, String, String).self) {
                #expect(parsed[key] == [valor, observacoes, cliente, forma], "\(key)")
                compared += 1
                sawQuote = sawQuote || observacoes.contains("\"") || cliente.contains("\"")
                sawNewline = sawNewline || observacoes.contains("\n")
                sawComma = sawComma || observacoes.contains(",")
                sawAccent = sawAccent || cliente.contains("ç") || cliente.contains("ã")
            }
            #expect(compared == 100)
            #expect(sawQuote && sawNewline && sawComma && sawAccent, "the demo data exercises quoting")
        }
    }

    /// A commission dated in the next month whose payment is in this one leaves with its
    /// payment: it is in this month's backup (once: the two branches of the backup's SELECT do
    /// not overlap), counted, and the backup verifies against the month's own count.
    @Test func aCommissionDatedInTheNextMonthIsBackedUpWithItsPaymentsMonth() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            let moved = try #require(try await client.scalar(PostgresQuery(unsafeSQL: """
                UPDATE comissoes SET data = DATE '\(fixture.month.nextFirstDay)'
                WHERE id = (SELECT cm.id FROM comissoes cm JOIN pagamentos p ON p.id = cm.pagamento_id
                            WHERE p.data >= DATE '\(fixture.month.firstDay)' AND p.data < DATE '\(fixture.month.nextFirstDay)'
                            ORDER BY cm.id LIMIT 1)
                RETURNING id
                """), as: Int64.self))
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger)
            guard case .created(let manifest) = try await writer.create(fixture.month) else { Issue.record("not created"); return }
            #expect(manifest.records["comissao"] == 10 && manifest.totalRecords == 40, "\(manifest.records)")
            let csv = try String(contentsOf: BackupLocation(baseDirectory: fixture.backups, month: fixture.month).csv, encoding: .utf8)
            #expect(csv.components(separatedBy: "\r\ncomissao,\(moved),").count == 2, "the moved commission, exactly once")
            #expect(try await BackupVerifier(client: client, baseDirectory: fixture.backups, logger: TestDatabase.logger).verify(fixture.month).ok)
            // Out of the next month, so a later fixture of this month can clear it.
            try await client.query("DELETE FROM comissoes WHERE id = \(moved)", logger: TestDatabase.logger)
        }
    }

    @Test func anExistingValidBackupIsKeptUnlessForced() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger)
            guard case .created(let first) = try await writer.create(fixture.month) else { Issue.record("not created"); return }
            guard case .alreadyExists(let again) = try await writer.create(fixture.month) else { Issue.record("rewritten"); return }
            #expect(again.sha256 == first.sha256 && again.totalRecords == first.totalRecords && again.sizeBytes == first.sizeBytes)
            guard case .created = try await writer.create(fixture.month, force: true) else { Issue.record("force ignored"); return }
        }
    }

    @Test(arguments: ["flip", "truncate", "delete", "manifest"])
    func aDamagedBackupFailsVerification(damage: String) async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger)
            _ = try await writer.create(fixture.month)
            let location = BackupLocation(baseDirectory: fixture.backups, month: fixture.month)
            try damageFile(location, how: damage)
            let verifier = BackupVerifier(client: client, baseDirectory: fixture.backups, logger: TestDatabase.logger)
            let report = try await verifier.verify(fixture.month)
            #expect(!report.ok)
            await #expect {
                try await verifier.verifiedManifest(fixture.month)
            } throws: { error in
                // The CLI and job history word the remedy as `nightshift backup create …`
                // (ExtratoTests checks a job's recorded error).
                guard case .missingOrInvalid(let month, let problems)? = error as? BackupError else { return false }
                return month == fixture.month && !problems.isEmpty
                    && "\(error)".contains("backup for \(fixture.month.slashed) missing or invalid")
                    && (error as? BackupError)?.remedy == .createMonthBackup(year: fixture.month.year, month: fixture.month.month)
            }
        }
    }

    @Test func newRecordsAfterTheBackupFailVerificationWhileTheMonthIsOpen() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            _ = try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger).create(fixture.month)
            try await client.query(PostgresQuery(unsafeSQL: "INSERT INTO gastos (data, valor, descricao) VALUES ('\(fixture.month.firstDay)', 10.00, 'late')"), logger: TestDatabase.logger)
            let report = try await BackupVerifier(client: client, baseDirectory: fixture.backups, logger: TestDatabase.logger).verify(fixture.month)
            #expect(report.problems == ["1 gasto record(s) of \(fixture.month.label) in the database are in no backup: create the backup again"])
        }
    }

    @Test func anUnwritableFolderIsAClearErrorAndLeavesNoFile() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 40)
            // A regular file where the backup folder should be: not writable for anyone, root included.
            try Data("not a folder".utf8).write(to: fixture.backups)
            await #expect {
                try await MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, logger: TestDatabase.logger).create(fixture.month)
            } throws: { error in
                "\(error)".contains("cannot create folder") && "\(error)".contains("BACKUP_DIR")
            }
            #expect(!FileManager.default.fileExists(atPath: BackupLocation(baseDirectory: fixture.backups, month: fixture.month).csv.path))
        }
    }

    @Test func aFailingWriteIsAClearErrorAndLeavesNoPartialFile() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client, rows: 400)
            // A real `nightshift backup create` whose file size limit is 8 KiB: writes past it
            // fail (EFBIG, SIGXFSZ ignored), as they would on a full disk.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", "trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\"", ChildProcess.executable.path,
                                 "backup", "create", "--year", "\(fixture.month.year)", "--month", "\(fixture.month.month)",
                                 "--base-dir", fixture.backups.path]
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = TestDatabase.url.connectionString
            process.environment = environment
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = Pipe()
            try process.run()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0)
            #expect(message.contains("cannot write") && message.contains("backup_\(fixture.month.folderName).csv"), "\(message)")
            let location = BackupLocation(baseDirectory: fixture.backups, month: fixture.month)
            let left = (try? FileManager.default.contentsOfDirectory(atPath: location.directory.path)) ?? []
            #expect(left.isEmpty, "no partial or temporary file: \(left)")
        }
    }

    func damageFile(_ location: BackupLocation, how: String) throws {
        switch how {
        case "flip":
            var bytes = try Data(contentsOf: location.csv)
            bytes[bytes.count / 2] ^= 0x01
            try bytes.write(to: location.csv)
        case "truncate":
            let bytes = try Data(contentsOf: location.csv)
            try bytes.prefix(bytes.count - 37).write(to: location.csv)
        case "delete":
            try FileManager.default.removeItem(at: location.csv)
        default:
            try FileManager.default.removeItem(at: location.manifest)
        }
    }
}
