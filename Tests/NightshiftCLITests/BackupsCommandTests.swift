import Database
import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// `nightshift migrate --backup-first` and `nightshift backups …`, as a person runs them.
@Suite struct BackupsCommandTests {
    func folder() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("ns-cli-\(UUID().uuidString)") }

    @Test func migrateWithBackupFirstDumpsBeforeApplyingAndRefusesWhenTheDumpFails() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let backups = folder()
            defer { try? FileManager.default.removeItem(at: backups) }
            let refused = try ChildProcess(["migrate", "--backup-first"], environment: [
                "DATABASE_URL": url.connectionString, "BACKUP_DIR": backups.path, "PG_BIN_DIR": "/nonexistent",
            ])
            #expect(try await refused.waitForExit() != 0)
            #expect(refused.log.contains("the pre-migration dump failed, so nothing was migrated") && refused.log.contains("pg_dump not found"),
                    "\(refused.log)")
            try await TestDatabase.withClient(url: url, migrate: false) { client async throws in
                #expect(try await client.scalar("SELECT to_regclass('schema_migrations') IS NULL", as: Bool.self) == true, "nothing migrated")
            }

            let migrated = try ChildProcess(["migrate", "--backup-first"], environment: ["DATABASE_URL": url.connectionString, "BACKUP_DIR": backups.path])
            #expect(try await migrated.waitForExit() == 0, "\(migrated.log)")
            #expect(migrated.log.contains("pre-migration dump (schema version 0)") && migrated.log.contains("applied"), "\(migrated.log)")
            let dumps = try FileManager.default.contentsOfDirectory(atPath: backups.appendingPathComponent("dumps").path)
            #expect(dumps.count == 1 && dumps[0].hasPrefix("default_") && dumps[0].hasSuffix(".dump"))

            let again = try ChildProcess(["migrate", "--backup-first"], environment: ["DATABASE_URL": url.connectionString, "BACKUP_DIR": backups.path])
            #expect(try await again.waitForExit() == 0)
            #expect(again.log.contains("schema is up to date") && !again.log.contains("pre-migration dump"), "no dump when nothing is to apply")
        }
    }

    @Test func backupsRestoreNeedsYesAndRestoresAVerifiedDumpIntoTheNamedDatabase() async throws {
        try await TestDatabase.withFreshDatabase { source in
            let backups = folder()
            defer { try? FileManager.default.removeItem(at: backups) }
            let branch = "cli-\(UUID().uuidString.prefix(6).lowercased())"
            let environment = ["DUMP_DATABASE_URL": source.connectionString, "BACKUP_DIR": backups.path, "BRANCH_ID": branch]
            try await TestDatabase.withClient(url: source, migrate: false) { client in
                try await client.query("CREATE TABLE ledger (id int, note text)", logger: TestDatabase.logger)
                try await client.query("INSERT INTO ledger SELECT g, 'linha ' || g || ' — ação' FROM generate_series(1, 250) g", logger: TestDatabase.logger)
            }
            // A worker makes the dump, as the nightly schedule would.
            let queue = TestDatabase.uniqueQueue("cli-dump")
            let id = try await TestDatabase.withClient { client -> Int64 in
                let store = JobStore(client: client, logger: TestDatabase.logger)
                let job = try await store.enqueue(NewJob(kind: "nightly-dump", args: #"{"type": "manual"}"#, queue: queue))
                let worker = try ChildProcess(["worker", "--queues", queue, "--no-maintenance"], environment: environment)
                try await eventually(timeout: .seconds(60), "dumped") { try await store.job(job.id)?.state == .succeeded }
                worker.kill(SIGTERM)
                _ = try await worker.waitForExit()
                return try await client.scalar("SELECT id FROM backup_history WHERE job_id = \(job.id) AND status = 'completed'", as: Int64.self)!
            }
            let listed = try ChildProcess(["backups", "list", "--branch", branch, "--json"], environment: environment)
            #expect(try await listed.waitForExit() == 0)
            #expect(listed.log.contains("\"id\" : \(id)") && listed.log.contains("\"status\" : \"completed\""), "\(listed.log)")

            try await TestDatabase.withFreshDatabase { target in
                let unconfirmed = try ChildProcess(["backups", "restore", "--id", "\(id)", "--target-url", target.connectionString], environment: environment)
                #expect(try await unconfirmed.waitForExit() != 0)
                #expect(unconfirmed.log.contains("add --yes"), "\(unconfirmed.log)")
                // The target already holds `ledger`, locked by another session: the restore's
                // `DROP TABLE` waits there, mid-restore, so what it holds meanwhile can be seen.
                try await TestDatabase.withClient(url: target, migrate: false) { client async throws in
                    _ = try await client.query("CREATE TABLE ledger (id int)", logger: TestDatabase.logger)
                }
                let blocker = LibPQSession(url: target, applicationName: "nightshift-test holds ledger")
                defer { blocker.close() }
                try await blocker.run { _ = try $0.execute("BEGIN; LOCK TABLE ledger IN ACCESS EXCLUSIVE MODE") }
                let restored = try ChildProcess(["backups", "restore", "--id", "\(id)", "--target-url", target.connectionString, "--yes"],
                                                environment: environment)
                // Office2 item 9: while it restores, the dump is marked in use as a drill marks it,
                // so a prune or local retention (which take this lock exclusively) leaves it alone.
                let inUse = "nightshift-backup-in-use:\(id)"
                try await TestDatabase.withClient { client async throws in
                    try await eventually(timeout: .seconds(60), "the restore is waiting on the locked table") {
                        try await client.scalar("""
                            SELECT count(*)::int FROM pg_stat_activity WHERE datname = \(target.database) AND wait_event_type = 'Lock'
                            """, as: Int.self) ?? 0 > 0
                    }
                    #expect(try await client.scalar(Self.isFree(inUse), as: Bool.self) == false, "backups restore holds its dump in use while restoring")
                }
                blocker.close()
                #expect(try await restored.waitForExit() == 0, "\(restored.log)")
                try await TestDatabase.withClient { client async throws in
                    #expect(try await client.scalar(Self.isFree(inUse), as: Bool.self) == true, "and lets go of it when done")
                }
                #expect(restored.log.contains("sha256 verified"))
                #expect(!restored.log.contains(target.password ?? "password-not-set"), "no password in the output")
                try await TestDatabase.withClient(url: target, migrate: false) { client async throws in
                    #expect(try await client.scalar("SELECT count(*)::int FROM ledger", as: Int.self) == 250)
                    #expect(try await client.scalar("SELECT note FROM ledger WHERE id = 7", as: String.self) == "linha 7 — ação")
                }
            }
        }
    }

    /// Whether the exclusive form of an advisory lock (what a prune takes) can be had now; taken
    /// and let go in one statement, so on one connection.
    static func isFree(_ key: String) -> PostgresQuery {
        "SELECT CASE WHEN pg_try_advisory_lock(hashtext(\(key))) THEN pg_advisory_unlock(hashtext(\(key))) ELSE false END"
    }

    @Test func backupsShowSaysPerTableTheRowsAndWhatTheDrillFound() async throws {
        let branch = "show-\(UUID().uuidString.prefix(6).lowercased())"
        let id = try await TestDatabase.withClient { client -> Int64 in
            let id = try await BackupFactory.insert(client, branch: branch, objectKey: "\(branch)/backups/\(branch)_20261130_220005.dump")
            try await BackupFactory.recordDrill(client, id: id, tables: ["public.clientes": 12, "public.gastos": 30], differing: "public.clientes")
            return id
        }
        let shown = try ChildProcess(["backups", "show", "\(id)"])
        #expect(try await shown.waitForExit() == 0, "\(shown.log)")
        let lines = shown.log.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("public.clientes") && $0.contains("12") && $0.contains("CONTENT DIFFERS") }, "\(shown.log)")
        #expect(lines.contains { $0.contains("public.gastos") && $0.contains("30") && $0.contains("content matched") }, "\(shown.log)")
        #expect(shown.log.contains("NO, the drill failed") && shown.log.contains("content differs from the dump's in public.clientes"), "\(shown.log)")
    }
}
