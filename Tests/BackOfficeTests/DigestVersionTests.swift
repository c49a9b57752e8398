@testable import BackOffice
import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// Digest version 2 (issue 31): the sum sees which row holds which value, NULL is distinct from
/// every value, and float/numeric/jsonb/interval keep their distinctions. Version 1's blind
/// spots are shown beside each, so a regression to its rule is caught; dumps made under
/// version 1 are still drilled by version 1.
@Suite struct DigestVersionTests {
    static func execute(_ sql: String, on url: DatabaseURL) async throws {
        let session = LibPQSession(url: url, applicationName: "nightshift-test")
        defer { session.close() }
        try await session.run { _ = try $0.execute(sql) }
    }

    static func read(_ url: DatabaseURL, _ version: DigestVersion = .current) async throws -> [String: TableContent] {
        let session = LibPQSession(url: url, applicationName: "nightshift-test")
        defer { session.close() }
        return try await session.run { try TableContents.read(on: $0, version: version) }
    }

    /// Applies `change`, and says whether each version's digest of `table` moved (the counts stay).
    static func seen(_ url: DatabaseURL, _ table: String, after change: String) async throws -> (v1: Bool, v2: Bool) {
        let before1 = try await read(url, .v1)[table], before2 = try await read(url, .v2)[table]
        try await execute(change, on: url)
        let after1 = try await read(url, .v1)[table], after2 = try await read(url, .v2)[table]
        #expect(before2?.count == after2?.count && (before2?.count ?? 0) > 0, "\(table): the same number of rows")
        return (before1 != after1, before2 != after2)
    }

    @Test func valuesSwappedBetweenRowsChangeTheDigest() async throws {
        try await DumpFixture.with { fixture in
            let url = fixture.database
            // Two payments trade their amounts: the column holds the same values, the rows do not.
            let valor = try await Self.seen(url, "public.pagamentos", after: """
                WITH pair AS (SELECT min(id) AS a, max(id) AS b FROM pagamentos WHERE valor > 0),
                     amounts AS (SELECT (SELECT valor FROM pagamentos WHERE id = a) AS va, (SELECT valor FROM pagamentos WHERE id = b) AS vb, a, b FROM pair)
                UPDATE pagamentos p SET valor = CASE WHEN p.id = amounts.a THEN amounts.vb ELSE amounts.va END
                FROM amounts WHERE p.id IN (amounts.a, amounts.b)
                """)
            #expect(valor.v2, "a swap of valor between two pagamentos changes version 2's digest")
            #expect(!valor.v1, "version 1's blind spot (issue 31): if this fails, the fixture's two amounts were equal")
            // A client's email moves to another client (who had none, or another).
            try await Self.execute("UPDATE clientes SET email = 'a@example.com' WHERE id = (SELECT min(id) FROM clientes); "
                                   + "UPDATE clientes SET email = 'b@example.com' WHERE id = (SELECT max(id) FROM clientes)", on: url)
            let email = try await Self.seen(url, "public.clientes", after: """
                UPDATE clientes SET email = CASE email WHEN 'a@example.com' THEN 'b@example.com' ELSE 'a@example.com' END
                WHERE email IN ('a@example.com', 'b@example.com')
                """)
            #expect(email.v2 && !email.v1)
            // Two dependents trade the jobs they wait for.
            try await Self.execute("DELETE FROM job_dependencies; INSERT INTO job_dependencies (job_id, depends_on) VALUES (1001, 11), (1002, 22)", on: url)
            let dependsOn = try await Self.seen(url, "public.job_dependencies", after: """
                UPDATE job_dependencies SET depends_on = CASE depends_on WHEN 11 THEN 22 ELSE 11 END
                """)
            #expect(dependsOn.v2 && !dependsOn.v1)
        }
    }

    /// break-dumps 1: a column called `r` (the table's alias in the reading statement) made
    /// every dump fail ("function hash_record_extended(integer, integer) does not exist").
    @Test func aColumnNamedRDoesNotBreakTheDigest() async throws {
        try await DumpFixture.with { fixture in
            let url = fixture.database
            try await Self.execute("""
                CREATE TABLE public.leituras (id int, r int); INSERT INTO leituras VALUES (1, 2), (3, 4);
                CREATE TABLE public.medidas (id int, r numeric); INSERT INTO medidas VALUES (1, 2.0), (3, 4.00);
                CREATE TABLE public.notas (id int, r int[]); INSERT INTO notas VALUES (1, '{2}'), (3, '{4}')
                """, on: url)
            for version in [DigestVersion.v1, .v2] {
                let contents = try await Self.read(url, version)
                #expect(contents["public.leituras"]?.count == 2 && contents["public.medidas"]?.count == 2
                        && contents["public.notas"]?.count == 2, "version \(version) reads tables with a column r")
            }
            let leituras = try await Self.seen(url, "public.leituras", after: "UPDATE leituras SET r = 6 - r")
            #expect(leituras.v2, "a swap of r between rows changes version 2's digest")
            let medidas = try await Self.seen(url, "public.medidas", after: "UPDATE medidas SET r = 2.00 WHERE id = 1")
            #expect(medidas.v2, "numeric scale in a column r still seen")
        }
    }

    @Test func aValueMovedToARowThatHadNoneChangesTheDigest() async throws {
        try await DumpFixture.with { fixture in
            try await Self.execute("""
                CREATE TABLE moved (id int, note text, amount numeric(12,2));
                INSERT INTO moved VALUES (1, 'x', 10.00), (2, NULL, NULL);
                """, on: fixture.database)
            let text = try await Self.seen(fixture.database, "public.moved", after: "UPDATE moved SET note = CASE id WHEN 1 THEN NULL ELSE 'x' END")
            #expect(text.v2)
            let amount = try await Self.seen(fixture.database, "public.moved", after: "UPDATE moved SET amount = CASE id WHEN 1 THEN NULL ELSE 10.00 END")
            #expect(amount.v2 && !amount.v1, "a numeric moved from one row to another")
        }
    }

    /// One row, one column, each value in turn: every pair of values has its own digest.
    @Test func nullIsDistinctFromEveryValueAndTextHashedTypesKeepTheirDistinctions() async throws {
        try await DumpFixture.with { fixture in
            let cases: [(type: String, values: [String])] = [
                ("text", ["NULL", "''", "' '"]),
                ("jsonb", ["NULL", "'{}'", "'[]'", "'null'", "'0'", "'\"\"'", "'1.0'", "'1'"]),
                ("float8", ["NULL", "0", "'-0'", "'NaN'", "'Infinity'", "'-Infinity'", "1e-300"]),
                ("float4", ["NULL", "0", "'-0'", "'NaN'", "'Infinity'"]),
                ("numeric", ["NULL", "0", "'NaN'", "'Infinity'", "'-Infinity'", "1.0", "1.00", "1"]),
                ("interval", ["NULL", "'0'", "'1 day'", "'24 hours'", "'1 mon'", "'30 days'"]),
                ("bool", ["NULL", "false", "true"]),
                ("int8", ["NULL", "0", "-1"]),
            ]
            for (type, values) in cases {
                try await Self.execute("DROP TABLE IF EXISTS one_cell; CREATE TABLE one_cell (v \(type))", on: fixture.database)
                var digests: [String: String] = [:]
                for value in values {
                    try await Self.execute("TRUNCATE one_cell; INSERT INTO one_cell VALUES (\(value)::\(type))", on: fixture.database)
                    digests[value] = try await Self.read(fixture.database)["public.one_cell"]?.digest
                }
                #expect(Set(digests.values).count == values.count, "\(type): each value its own digest: \(digests)")
            }
            // A row of NULLs and a row of empty values, side by side, each swapped for the other.
            try await Self.execute("""
                CREATE TABLE blanks (n int, t text, j jsonb);
                INSERT INTO blanks VALUES (1, NULL, '{}'), (2, '', NULL);
                """, on: fixture.database)
            let swapped = try await Self.seen(fixture.database, "public.blanks",
                                              after: "UPDATE blanks SET t = CASE n WHEN 1 THEN '' END, j = CASE n WHEN 2 THEN '{}'::jsonb END")
            #expect(swapped.v2)
        }
    }

    /// The drill catches a swap in the restored database; a dump recorded under version 1 is
    /// drilled by version 1 (no false alarm from the rule having changed).
    @Test func theDrillComparesByTheDumpsOwnRule() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let history = fixture.history(client)
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil, history: history,
                                            logger: TestDatabase.logger)
                let record = try await dumper.dump(type: .manual, attempt: nil)
                #expect(record.digestVersion == DigestVersion.current.rawValue && record.digestRule == .v2)
                let restorer = DumpRestorer(settings: fixture.settings, store: nil, logger: TestDatabase.logger)
                var drill = RestoreDrill(restorer: restorer, history: history, database: fixture.database, logger: TestDatabase.logger)
                drill.beforeComparison = { restored in
                    try await Self.execute("""
                        WITH pair AS (SELECT min(id) AS a, max(id) AS b FROM pagamentos),
                             amounts AS (SELECT (SELECT valor FROM pagamentos WHERE id = a) AS va, (SELECT valor FROM pagamentos WHERE id = b) AS vb, a, b FROM pair)
                        UPDATE pagamentos p SET valor = CASE WHEN p.id = amounts.a THEN amounts.vb ELSE amounts.va END
                        FROM amounts WHERE p.id IN (amounts.a, amounts.b)
                        """, on: restored)
                }
                let swapped = try await drill.run(backupID: record.id)
                #expect(!swapped.passed && swapped.differences.map(\.table) == ["public.pagamentos"] && swapped.digestVersion == 2, "\(swapped)")

                // The same dump as a version 1 dump: its digests by version 1's rule, and the row says so.
                let v1 = try await Self.read(fixture.database, .v1)
                let digests = String(decoding: try JSONEncoder.sorted.encode(v1.mapValues(\.digest)), as: UTF8.self)
                try await client.query("UPDATE backup_history SET table_digests = \(digests)::jsonb, digest_version = 1 WHERE id = \(record.id)",
                                       logger: TestDatabase.logger)
                drill.beforeComparison = nil
                let old = try await drill.run(backupID: record.id)
                #expect(old.passed && old.contentChecked == true && old.digestVersion == 1, "\(old)")
                // A version 1 row from before the column (digests, no version) reads as version 1.
                try await client.query("UPDATE backup_history SET digest_version = NULL WHERE id = \(record.id)", logger: TestDatabase.logger)
                #expect(try await history.record(record.id)?.digestRule == .v1)
                // No digests at all: counts only.
                try await client.query("UPDATE backup_history SET table_digests = NULL WHERE id = \(record.id)", logger: TestDatabase.logger)
                let countsOnly = try await drill.run(backupID: record.id)
                #expect(countsOnly.passed && countsOnly.contentChecked == false && countsOnly.digestVersion == nil)
                #expect(try await history.record(record.id)?.tableFindings.allSatisfy { $0.check == .countMatched } == true)
            }
        }
    }

    /// break-dumps 9, rolling upgrade: a worker of an older release drills a version-2 dump by
    /// version 1's rule and writes "content differs" — migration 0017 refuses that verdict (it
    /// does not list version 2 among the rules it knows), so the good dump keeps its own; this
    /// release's verdicts, and an older one's on a version-1 dump, go in.
    @Test func aVerdictFromAReleaseThatDoesNotKnowTheDumpsDigestRuleIsRefused() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let history = fixture.history(client)
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil, history: history,
                                            logger: TestDatabase.logger)
                let record = try await dumper.dump(type: .manual, attempt: nil)
                #expect(record.digestVersion == 2)
                let restorer = DumpRestorer(settings: fixture.settings, store: nil, logger: TestDatabase.logger)
                let drill = RestoreDrill(restorer: restorer, history: history, database: fixture.database, logger: TestDatabase.logger)
                #expect(try await drill.run(backupID: record.id).passed)
                // What a release before digest version 2 writes: no knownDigestVersions.
                let old = #"{"backupID": 0, "passed": false, "reason": "content differs from the dump's in public.pagamentos", "differences": []}"#
                let write: PostgresQuery = """
                    UPDATE backup_history SET verification_status = 'false', verified_at = now(), verification_details = \(old)::jsonb
                    WHERE id = \(record.id)
                    """
                await #expect {
                    try await client.query(write, logger: TestDatabase.logger)
                } throws: { error in
                    DatabaseErrorMessage.describe(error).contains("which the release that drilled it does not know")
                }
                #expect(try await history.record(record.id)?.verificationStatus == "true", "the good dump keeps its verdict")
                // A version-1 dump: every release knows its rule.
                try await client.query("UPDATE backup_history SET digest_version = 1 WHERE id = \(record.id)", logger: TestDatabase.logger)
                try await client.query(write, logger: TestDatabase.logger)
                #expect(try await history.record(record.id)?.verificationStatus == "false")
            }
        }
    }
}
