@testable import BackOffice
import Database
import Foundation
import ObjectStorage
import Testing
import TestSupport

/// pg_dump can exit 0 and leave a custom-format archive short (its last buffer lost when the
/// disk fills as it finishes); `pg_restore --list` passes such a file. The completeness check
/// must tell, and a dump must refuse it.
@Suite struct ArchiveCompletenessTests {
    /// A pg_dump that may write `limit` bytes to a file and no more (RLIMIT_FSIZE, with
    /// SIGXFSZ ignored so the write fails with EFBIG as it would with ENOSPC), next to the real
    /// pg_restore.
    static func shortWritingTools(limit: Int64) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ns-short-pg-dump-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pgDump = try PostgresTool.locate("pg_dump", in: nil).executable.path
        let script = folder.appendingPathComponent("pg_dump")
        try """
            #!/usr/bin/env python3
            import os, resource, signal, sys
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (\(limit), \(limit)))
            os.execv("\(pgDump)", ["\(pgDump)"] + sys.argv[1:])
            """.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("pg_restore").path,
                                                   withDestinationPath: try PostgresTool.locate("pg_restore", in: nil).executable.path)
        return folder
    }

    @Test func aDumpThatPgDumpLeavesShortWhileExitingZeroIsRefusedAsRetryableAndLeavesNothing() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let history = fixture.history(client)
                let whole = try await DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil,
                                                     history: history, logger: TestDatabase.logger).dump(type: .manual, attempt: nil)
                let size = try #require(whole.sizeBytes)
                guard case .complete(let blocks) = try ArchiveCompleteness.check(URL(fileURLWithPath: whole.localPath!)) else {
                    Issue.record("a whole dump is not complete"); return
                }
                #expect(blocks >= 4, "the studio's tables have data blocks")

                let tools = try Self.shortWritingTools(limit: size - 100)
                defer { try? FileManager.default.removeItem(at: tools) }
                // The precondition, pg_dump's own behaviour: exit 0, a short file, a listing that passes.
                let short = fixture.folder.appendingPathComponent("short.dump")
                let made = try await PostgresTool.locate("pg_dump", in: tools.path)
                    .run(["--format=custom", "--file=\(short.path)"], database: fixture.database, applicationName: "test")
                try #require(made.status == 0, "pg_dump reports success: \(made.errors)")
                try #require(try FileDigest.sha256(of: short).size == size - 100)
                let listed = try await PostgresTool.locate("pg_restore", in: nil).run(["--list", short.path], database: fixture.database, applicationName: "test")
                #expect(listed.status == 0, "pg_restore --list cannot tell")
                guard case .incomplete(let reason) = try ArchiveCompleteness.check(short) else {
                    Issue.record("the short archive passes the check"); return
                }
                #expect(reason.contains("never written"), "\(reason)")
                unlink(short.path)

                var settings = fixture.settings
                settings.dumps.postgresBinDirectory = tools.path
                let dumper = DatabaseDumper(settings: settings, database: fixture.database, store: fixture.localStore(),
                                            history: history, logger: TestDatabase.logger)
                await #expect {
                    _ = try await dumper.dump(type: .manual, attempt: nil)
                } throws: { error in
                    guard case .incompleteArchive = error as? DumpError else { return false }
                    return "\(error)".contains("BACKUP_DIR") && (error as? DumpError)?.category == .unavailable
                }
                let row = try #require(try await history.list(branch: fixture.branch).first)
                #expect(row.status == .failed && row.error?.contains("incomplete") == true, "history says why: \(row.error ?? "-")")
                #expect(fixture.dumpFiles() == [URL(fileURLWithPath: whole.localPath!).lastPathComponent], "no short or temporary file")
                #expect(try await fixture.localStore().list(prefix: "").isEmpty, "nothing uploaded")
            }
        }
    }

    @Test func everyCutOfAWholeArchiveAndATrailingByteAreIncompleteAndANewerFormatIsUnknown() async throws {
        try await DumpFixture.with { fixture in
            let file = fixture.folder.appendingPathComponent("whole.dump")
            try FileManager.default.createDirectory(at: fixture.folder, withIntermediateDirectories: true)
            let made = try await PostgresTool.locate("pg_dump", in: nil)
                .run(["--format=custom", "--file=\(file.path)"], database: fixture.database, applicationName: "test")
            try #require(made.status == 0)
            let bytes = try Data(contentsOf: file)
            guard case .complete = try ArchiveCompleteness.check(file) else { Issue.record("the whole archive"); return }
            let cut = fixture.folder.appendingPathComponent("cut.dump")
            // Every length from empty to one byte short, stepping so the run stays quick, plus the last 64.
            let lengths = Set(Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 400))) + Array(max(0, bytes.count - 64)..<bytes.count))
            for length in lengths.sorted() {
                try bytes.prefix(length).write(to: cut)
                let verdict = try ArchiveCompleteness.check(cut)
                guard case .incomplete = verdict else { Issue.record("a cut at \(length) of \(bytes.count) bytes: \(verdict)"); return }
            }
            var extra = bytes
            extra.append(0)
            try extra.write(to: cut)
            guard case .incomplete = try ArchiveCompleteness.check(cut) else { Issue.record("a byte appended passes"); return }
            // A format newer than the reader knows is not judged: the dump reads it whole instead.
            var newer = bytes
            newer[6] = 17
            try newer.write(to: cut)
            guard case .unknownFormat(let format) = try ArchiveCompleteness.check(cut), format.contains("1.17") else {
                Issue.record("an archive of format 1.17 is not reported as unknown"); return
            }
            try Data("not an archive".utf8).write(to: cut)
            guard case .incomplete(let reason) = try ArchiveCompleteness.check(cut), reason.contains("PGDMP") else {
                Issue.record("a file that is not an archive"); return
            }
        }
    }
}
