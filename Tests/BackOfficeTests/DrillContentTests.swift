@testable import BackOffice
import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// The restore drill proves content, not just counts (issue 27): digests of every table's rows
/// taken in the dump's snapshot, compared with the restored database's, with real pg_dump,
/// pg_restore and PostgreSQL.
@Suite struct DrillContentTests {
    func dump(_ fixture: DumpFixture, _ client: PostgresClient) async throws -> BackupRecord {
        let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil,
                                    history: fixture.history(client), logger: TestDatabase.logger)
        return try await dumper.dump(type: .manual, attempt: nil)
    }

    func drill(_ fixture: DumpFixture, _ client: PostgresClient, _ record: BackupRecord,
               beforeComparison: (@Sendable (DatabaseURL) async throws -> Void)? = nil) async throws -> RestoreDrill.Report {
        var drill = RestoreDrill(restorer: DumpRestorer(settings: fixture.settings, store: nil, logger: TestDatabase.logger),
                                 history: fixture.history(client), database: fixture.database, logger: TestDatabase.logger)
        drill.beforeComparison = beforeComparison
        return try await drill.run(backupID: record.id)
    }

    static func execute(_ sql: String, on url: DatabaseURL) async throws {
        let session = LibPQSession(url: url, applicationName: "nightshift-test")
        defer { session.close() }
        try await session.run { _ = try $0.execute(sql) }
    }

    /// break-dumps 3 and 3b: a drill SIGKILLed midway leaves its scratch database and the copy it
    /// downloaded or decrypted (plaintext of an encrypted dump); the next drill's start removes
    /// those of backups no drill is using and of processes that are gone, and only those.
    @Test func aKilledDrillsScratchDatabaseAndCopiesAreRemovedAtTheNextDrillsStart() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let record = try await dump(fixture, client)
                let busy = try await BackupFactory.insert(client, branch: fixture.branch)
                // A pid no process can have (above the kernel's pid_max): an exited child's pid can
                // be taken again while the whole suite spawns processes beside this test.
                let pidMax = Int32((try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 4_194_304
                let gone = pidMax + 1, live = getpid()
                let prefix = try await DrillLeftovers.scratchPrefix(fixture.history(client))
                let leftover = "\(prefix)\(record.id)_4255010505", inUse = "\(prefix)\(busy)_17"
                // break-office2 10: another installation's drill on the same server (another queue
                // database, so another oid; template1's here, never ours) is not this one's to drop.
                let theirs = "nightshift_drill_1_\(record.id)_4255010505"
                for name in [leftover, inUse, theirs] {
                    try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0"), logger: TestDatabase.logger)
                }
                let folder = fixture.settings.dumpDirectory
                let killed = [".restore-\(record.id)-\(gone).dump", ".restore-\(record.id)-\(gone)-plain.dump"]
                let kept = [".restore-\(record.id)-\(live).dump", ".restore-\(busy)-\(gone)-plain.dump"]
                for file in killed + kept { try Data("PGDMP".utf8).write(to: folder.appendingPathComponent(file)) }
                // A drill of `busy` is alive: its in-use lock is held in a second session.
                let drilling = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test drill in progress")
                defer { drilling.close() }
                try await drilling.run { _ = try $0.execute("SELECT pg_advisory_lock_shared(hashtext('nightshift-backup-in-use:\(busy)'))") }

                let report = try await drill(fixture, client, record)
                #expect(report.passed, "\(report.reason ?? "")")
                var databases: [String] = []
                for try await name in try await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'nightshift_drill_%'",
                                                             logger: TestDatabase.logger).decode(String.self) { databases.append(name) }
                #expect(!databases.contains(leftover), "the killed drill's scratch database is dropped")
                #expect(databases.contains(inUse), "a live drill's scratch database stays")
                #expect(databases.contains(theirs), "another installation's scratch database stays")
                let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                for file in killed { #expect(!files.contains(file), "\(file) of a dead process is removed") }
                for file in kept { #expect(files.contains(file), "\(file): its process is alive or its backup is in use") }
                drilling.close()
                for name in [inUse, theirs] {
                    try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: TestDatabase.logger)
                }
            }
        }
    }

    @Test func oneCellChangedInTheRestoredDatabaseFailsTheDrillNamingItsTable() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let record = try await dump(fixture, client)
                #expect(record.tableDigests.count == record.tableCounts.count && record.tableDigests["public.clientes"]?.count == 16,
                        "a digest of every table, 16 hex digits: \(record.tableDigests)")
                // One accent lost in one client's name: as many rows, not the same rows.
                let report = try await drill(fixture, client, record) { restored in
                    try await Self.execute("UPDATE clientes SET name = name || 'ã' WHERE id = (SELECT min(id) FROM clientes)", on: restored)
                }
                #expect(!report.passed && report.verdict == "false" && report.contentChecked == true)
                #expect(report.differences.map(\.table) == ["public.clientes"], "\(report.differences)")
                let difference = try #require(report.differences.first)
                #expect(difference.contentOnly && difference.dumped == difference.restored && difference.dumpedDigest != difference.restoredDigest)
                #expect(report.reason?.contains("content differs from the dump's in public.clientes") == true, "\(report.reason ?? "")")

                let verified = try #require(try await fixture.history(client).record(record.id))
                #expect(verified.verificationStatus == "false", "seed 003's value for a failed drill")
                let findings = Dictionary(uniqueKeysWithValues: verified.tableFindings.map { ($0.table, $0) })
                #expect(findings["public.clientes"]?.check == .differs && findings["public.clientes"]?.contentOnly == true)
                #expect(findings["public.pagamentos"]?.check == .matched && findings["public.pagamentos"]?.rows == 30)
            }
        }
    }

    @Test func aTableWithDuplicateRowsNullsAndAccentsRestoresWithTheSameDigestUnderOtherSessionSettings() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                try await Self.execute("""
                    CREATE TABLE awkward (n int, name text, at timestamptz, ratio float8, amount numeric(12,2), raw bytea, span interval, doc jsonb);
                    INSERT INTO awkward VALUES
                        (1, 'José Ávila', '2026-03-01 10:00-03', 0.1, 10.50, '\\x00ff', '1 day 2 hours', '{"b": 1, "a": [null]}'),
                        (1, 'José Ávila', '2026-03-01 10:00-03', 0.1, 10.50, '\\x00ff', '1 day 2 hours', '{"b": 1, "a": [null]}'),
                        (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                        (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                        (2, '', '1999-12-31 23:59:59.999999+00', 1e-300, 0, '\\x', '-3 mons', 'null');
                    CREATE TABLE empty_one (x int);
                    """, on: fixture.database)
                let record = try await dump(fixture, client)
                #expect(record.tableCounts["public.awkward"] == 5 && record.tableCounts["public.empty_one"] == 0)
                #expect(record.tableDigests["public.empty_one"] == "0000000000000000", "no rows, a zero sum")
                // The restored database reads times, floats and dates its own way; the drill's
                // session settings make the rows' text the same anyway.
                let report = try await drill(fixture, client, record) { restored in
                    try await Self.execute("""
                        ALTER DATABASE \(restored.database) SET DateStyle = 'German, DMY';
                        ALTER DATABASE \(restored.database) SET TimeZone = 'Asia/Tokyo';
                        ALTER DATABASE \(restored.database) SET extra_float_digits = -3;
                        ALTER DATABASE \(restored.database) SET IntervalStyle = 'iso_8601';
                        """, on: restored)
                }
                #expect(report.passed && report.verdict == "true" && report.contentChecked == true, "\(report)")
                let verified = try #require(try await fixture.history(client).record(record.id))
                #expect(verified.tableFindings.allSatisfy { $0.check == .matched }, "\(verified.tableFindings)")
            }
        }
    }

    @Test func theDigestDoesNotDependOnWhereRowsAreStoredButOnWhatTheyHold() async throws {
        try await DumpFixture.with { fixture in
            let read = { @Sendable () async throws -> TableContent in
                let session = LibPQSession(url: fixture.database, applicationName: "nightshift-test")
                defer { session.close() }
                return try await session.run { try TableContents.read(on: $0)["public.gastos"]! }
            }
            let before = try await read()
            // Every row gets a new physical place; the rows are the same.
            try await Self.execute("UPDATE gastos SET valor = valor", on: fixture.database)
            try await Self.execute("VACUUM FULL gastos", on: fixture.database)
            #expect(try await read() == before)
            // A real moved from one expense to another: the same count and the same total, other rows.
            try await Self.execute("""
                UPDATE gastos SET valor = valor + 1 WHERE id = (SELECT min(id) FROM gastos);
                UPDATE gastos SET valor = valor - 1 WHERE id = (SELECT max(id) FROM gastos WHERE valor >= 1);
                """, on: fixture.database)
            let after = try await read()
            #expect(after.count == before.count && after.digest != before.digest)
        }
    }

    /// The server sums each hash's halves as `int4`s; the digest put back together is the sum of
    /// the whole 64-bit hashes modulo 2^64.
    @Test func theDigestIsTheSumOfTheHashesModulo2To64() {
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 2, 1000] {
            let hashes = (0..<size).map { _ in Int64(bitPattern: generator.next()) } + [Int64.min, Int64.max, -1, 0].prefix(size)
            var high: Int64 = 0, low: Int64 = 0
            for hash in hashes {
                high += hash >> 32
                low += (hash & 0xffff_ffff) - 2_147_483_648
                #expect(Int64(Int32.min)...Int64(Int32.max) ~= ((hash & 0xffff_ffff) - 2_147_483_648), "fits int4")
            }
            let expected = hashes.reduce(UInt64(0)) { $0 &+ UInt64(bitPattern: $1) }
            let digest = TableContent.digest(count: Int64(hashes.count), highSum: high, lowSum: low)
            #expect(digest == String(repeating: "0", count: 16 - String(expected, radix: 16).count) + String(expected, radix: 16))
        }
    }
}
