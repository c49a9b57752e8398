import Age
import BackOffice
import Database
import Foundation
import JobQueue
import ObjectStorage
import PostgresNIO
import Testing
import TestSupport

/// Month backups and dumps encrypted to age public keys: written encrypted, opened by the
/// standard `age` tool, verified and drilled with the identity, and checked as far as possible
/// without it.
@Suite(.serialized) struct EncryptedBackupTests {
    static let agePath = ["/usr/bin/age", "/usr/local/bin/age"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `age --decrypt -i identityFile file` → its stdout.
    func ageDecrypt(_ file: URL, identity: AgeIdentity) throws -> (status: Int32, output: Data) {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("ns-age-\(UUID().uuidString).txt")
        try identity.identityFile().write(to: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.agePath, "the age CLI (installed by ops/test.sh)"))
        process.arguments = ["--decrypt", "-i", keyFile.path, file.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }

    @Test func aMonthBackupIsEncryptedAsWrittenAndVerifiesWithAndWithoutTheIdentity() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await StudioFixture.make(client: client)
            defer { try? FileManager.default.removeItem(at: fixture.backups) }
            let owner = AgeIdentity(), spare = AgeIdentity()
            let writing = BackupEncryption(recipients: [owner.recipient, spare.recipient])
            let writer = MonthBackupWriter(database: TestDatabase.url, baseDirectory: fixture.backups, encryption: writing, logger: TestDatabase.logger)
            guard case .created(let manifest) = try await writer.create(fixture.month) else { Issue.record("not created"); return }
            let location = BackupLocation(baseDirectory: fixture.backups, month: fixture.month, encrypted: true)
            #expect(location.csv.lastPathComponent == "backup_\(fixture.month.folderName).csv.age")
            #expect(!FileManager.default.fileExists(atPath: BackupLocation(baseDirectory: fixture.backups, month: fixture.month).csv.path),
                    "no plaintext CSV on disk")
            #expect(manifest.encryption == "age" && manifest.recipients == [owner.recipient.description, spare.recipient.description])
            #expect(try FileDigest.sha256(of: location.csv) == (Int64(manifest.sizeBytes), manifest.sha256), "the manifest describes the stored file")

            // The standard tool opens it, and it is the CSV: BOM, header, 200 records.
            let opened = try ageDecrypt(location.csv, identity: spare)
            #expect(opened.status == 0)
            let text = String(decoding: opened.output, as: UTF8.self)
            #expect(opened.output.starts(with: [0xEF, 0xBB, 0xBF]) && text.contains(BackupCSV.columns.joined(separator: ",")))
            #expect(text.split(separator: "\r\n").count == 201)

            // With the identity: everything checked. Without: checksum and header, and says so.
            let reading = BackupEncryption(recipients: [], identities: [owner])
            let full = try await BackupVerifier(client: client, baseDirectory: fixture.backups, encryption: reading, logger: TestDatabase.logger).verify(fixture.month)
            #expect(full.ok && full.contentsVerified && full.records.values.reduce(0, +) == 200, "\(full.problems)")
            let partial = try await BackupVerifier(client: client, baseDirectory: fixture.backups, encryption: writing, logger: TestDatabase.logger).verify(fixture.month)
            #expect(partial.ok && !partial.contentsVerified && partial.notes.first?.contains("not verified") == true, "\(partial.problems)")
            // Creating again finds it valid and keeps it.
            guard case .alreadyExists = try await writer.create(fixture.month) else { Issue.record("rewritten"); return }

            // Another key cannot open it; a flipped byte is found both ways.
            let stranger = try await BackupVerifier(client: nil, baseDirectory: fixture.backups,
                                                    encryption: BackupEncryption(recipients: [], identities: [AgeIdentity()]), logger: TestDatabase.logger).verify(fixture.month)
            #expect(stranger.problems.contains { $0.contains("not encrypted to any of the identities") }, "\(stranger.problems)")
            var bytes = try Data(contentsOf: location.csv)
            bytes[bytes.count - 40] ^= 0x01
            try bytes.write(to: location.csv)
            let damaged = try await BackupVerifier(client: nil, baseDirectory: fixture.backups, encryption: reading, logger: TestDatabase.logger).verify(fixture.month)
            #expect(damaged.problems.contains { $0.contains("checksum") } && damaged.problems.contains { $0.contains("does not authenticate") }, "\(damaged.problems)")
            let damagedBlind = try await BackupVerifier(client: nil, baseDirectory: fixture.backups, encryption: writing, logger: TestDatabase.logger).verify(fixture.month)
            #expect(!damagedBlind.ok && damagedBlind.problems.contains { $0.contains("checksum") })
            // … so the month close would refuse it, and a forced re-create replaces it.
            guard case .created = try await writer.create(fixture.month, force: true) else { Issue.record("not re-created"); return }
            #expect(try await BackupVerifier(client: nil, baseDirectory: fixture.backups, encryption: reading, logger: TestDatabase.logger).verify(fixture.month).ok)
        }
    }

    @Test func decryptingADamagedFileLeavesNoPartialPlaintext() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ns-decrypt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = AgeIdentity()
        var encryptor = try AgeEncryptor(recipients: [identity.recipient])
        var sealed: [UInt8] = []
        try encryptor.update([UInt8](repeating: 0x41, count: 5 * 65_536 + 3), into: &sealed)
        try encryptor.finish(into: &sealed)
        sealed[sealed.count - 10] ^= 0x20
        let input = folder.appendingPathComponent("x.dump.age"), output = folder.appendingPathComponent("x.dump")
        try Data(sealed).write(to: input)
        #expect(throws: BackupEncryptionError.self) { try EncryptedFile.decrypt(input, to: output, identities: [identity]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["x.dump.age"], "no output and no temporary file")
    }

    @Test func anEncryptedDumpIsCheckedUploadedAndDrilledWithTheIdentityAndWithout() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let owner = AgeIdentity()
                var writing = fixture
                writing.settings.encryption = BackupEncryption(recipients: [owner.recipient])
                let store = fixture.localStore()
                let dumper = DatabaseDumper(settings: writing.settings, database: fixture.database, store: store,
                                            history: fixture.history(client), logger: TestDatabase.logger)
                let row = try await dumper.dump(type: .manual, attempt: nil)
                #expect(row.status == .completed && row.encryption == "age")
                let file = URL(fileURLWithPath: try #require(row.localPath))
                #expect(file.lastPathComponent.hasSuffix(".dump.age") && row.objectKey?.hasSuffix(".dump.age") == true)
                #expect(try FileDigest.sha256(of: file) == (row.sizeBytes!, row.sha256!))
                #expect(try await store.head(try #require(row.objectKey))?.sha256 == row.sha256)
                #expect(fixture.dumpFiles() == [file.lastPathComponent], "no plaintext or temporary file left")
                let bytes = try Data(contentsOf: file)
                #expect(bytes.starts(with: Array("age-encryption.org/v1\n".utf8)))

                // age opens it, and what it holds is a custom-format dump.
                let opened = try ageDecrypt(file, identity: owner)
                #expect(opened.status == 0 && opened.output.starts(with: Array("PGDMP".utf8)))

                // Drill without the identity: checksum and header only, recorded as unverified.
                let blind = RestoreDrill(restorer: DumpRestorer(settings: writing.settings, store: store, logger: TestDatabase.logger),
                                         history: fixture.history(client), database: fixture.database, logger: TestDatabase.logger)
                let partial = try await blind.run(backupID: row.id)
                #expect(!partial.passed && partial.verdict == "unverified" && partial.reason?.contains("NOT restored") == true)
                #expect(try await fixture.history(client).record(row.id)?.verificationStatus == "unverified")

                // With it: restored and counted, from the bucket once the local file is gone.
                var reading = writing
                reading.settings.encryption.identities = [owner]
                try FileManager.default.removeItem(at: file)
                let drill = RestoreDrill(restorer: DumpRestorer(settings: reading.settings, store: store, logger: TestDatabase.logger),
                                         history: fixture.history(client), database: fixture.database, logger: TestDatabase.logger)
                let report = try await drill.run(backupID: row.id)
                #expect(report.passed && report.verdict == "true", "\(report.reason ?? "")")
                #expect(try await fixture.history(client).record(row.id)?.verificationStatus == "true")
                #expect(fixture.dumpFiles().isEmpty, "the download and its plaintext were removed")

                // Another key: a clear error, no plaintext left.
                var stranger = writing
                stranger.settings.encryption.identities = [AgeIdentity()]
                let wrong = try await RestoreDrill(restorer: DumpRestorer(settings: stranger.settings, store: store, logger: TestDatabase.logger),
                                                   history: fixture.history(client), database: fixture.database, logger: TestDatabase.logger).run(backupID: row.id)
                #expect(!wrong.passed && wrong.verdict == "false" && wrong.reason?.contains("not encrypted to any") == true, "\(wrong.reason ?? "")")
                #expect(fixture.dumpFiles().isEmpty)
            }
        }
    }

    @Test func settingsNameTheProblem() throws {
        let identity = AgeIdentity()
        #expect(try BackupEncryption.parse(recipients: " \(identity.recipient) , \(AgeIdentity().recipient)", identityFile: nil).recipients.count == 2)
        for (value, words) in [("age1qqqq", "BACKUP_AGE_RECIPIENTS"), (identity.secretKeyLine, "secret key"), ("/nonexistent/keys.txt", "neither")] {
            do {
                _ = try BackupEncryption.parse(recipients: value, identityFile: nil)
                Issue.record("accepted \(value)")
            } catch {
                #expect("\(error)".contains("BACKUP_AGE_RECIPIENTS") && "\(error)".contains(words), "\(error)")
                #expect(!"\(error)".contains(identity.secretKeyLine.dropFirst(16)))
            }
        }
        do {
            _ = try BackupEncryption.parse(recipients: nil, identityFile: "/nonexistent/id.txt")
            Issue.record("accepted a missing identity file")
        } catch { #expect("\(error)".contains("BACKUP_AGE_IDENTITY_FILE")) }
    }
}
