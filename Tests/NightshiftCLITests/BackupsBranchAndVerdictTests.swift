import Foundation
import JobQueue
import PostgresNIO
import Testing
import TestSupport

/// Issue 34 items 3 and 5, as a person meets them: `backups create` for another branch than the
/// worker's, `backups drill` of a dump still being made, and of an encrypted dump on a worker
/// without the identity.
@Suite struct BackupsBranchAndVerdictTests {
    @Test func aDumpForAnotherBranchIsThatBranchsAndTheDrillSaysUnverifiedAsTheRowDoes() async throws {
        try await TestDatabase.withFreshDatabase { source in
            let backups = FileManager.default.temporaryDirectory.appendingPathComponent("ns-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: backups) }
            let keyFile = backups.appendingPathComponent("backup.key")
            let keygen = try ChildProcess(["backup", "keygen", "--output", keyFile.path])
            #expect(try await keygen.waitForExit() == 0, "\(keygen.log)")
            let publicKey = try #require(keygen.log.split(separator: "\n").first { $0.hasPrefix("age1") }).description
            // A database of its own is the queue and the dumped database: its default queue is this test's.
            let migrated = try ChildProcess(["migrate"], environment: ["DATABASE_URL": source.connectionString])
            #expect(try await migrated.waitForExit() == 0, "\(migrated.log)")
            try await TestDatabase.withClient(url: source, migrate: false) { client in
                try await client.query("CREATE TABLE ledger (id int, note text)", logger: TestDatabase.logger)
                try await client.query("INSERT INTO ledger VALUES (1, 'um')", logger: TestDatabase.logger)
            }
            let suffix = UUID().uuidString.prefix(6).lowercased()
            let (branchA, branchB) = ("a-\(suffix)", "b-\(suffix)")
            // The worker serves branch A, encrypts to a public key and has no identity.
            let worker = try ChildProcess(["worker", "--no-maintenance"], environment: [
                "DATABASE_URL": source.connectionString, "BACKUP_DIR": backups.path, "BRANCH_ID": branchA,
                "BACKUP_AGE_RECIPIENTS": publicKey, "ENABLE_METRICS_PUSH_JOB": "false",
            ])
            defer { worker.kill(SIGKILL) }
            let asB = ["DATABASE_URL": source.connectionString, "BRANCH_ID": branchB, "BACKUP_DIR": backups.path]
            let created = try ChildProcess(["backups", "create", "--wait", "--timeout", "120s"], environment: asB)
            #expect(try await created.waitForExit() == 0, "\(created.log)")
            #expect(created.log.contains("/\(branchB)_") && !created.log.contains("\(branchA)"), "B's dump, named as B's: \(created.log)")
            let rows = try await TestDatabase.withClient(url: source, migrate: false) { client in
                try await client.scalar("SELECT string_agg(branch || ':' || status, ',') FROM backup_history WHERE branch IN (\(branchA), \(branchB))",
                                        as: String.self)
            }
            #expect(rows == "\(branchB):completed", "recorded as B's, nothing as A's: \(rows ?? "none")")

            let drilled = try ChildProcess(["backups", "drill", "--wait", "--timeout", "120s"], environment: asB)
            #expect(try await drilled.waitForExit() != 0)
            #expect(drilled.log.contains("UNVERIFIED") && !drilled.log.contains("FAILED"), "\(drilled.log)")
            let id = try #require(try await TestDatabase.withClient(url: source, migrate: false) { client in
                try await client.scalar("SELECT id FROM backup_history WHERE branch = \(branchB)", as: Int64.self)
            })
            let shown = try ChildProcess(["backups", "show", "\(id)"], environment: asB)
            #expect(try await shown.waitForExit() == 0)
            #expect(shown.log.contains("not verified: encrypted"), "\(shown.log)")

            // A dump still being made: refused up front, nothing enqueued, no verdict written.
            let running = try await TestDatabase.withClient(url: source, migrate: false) { client in
                try await BackupFactory.insert(client, branch: branchB, status: "running")
            }
            let refused = try ChildProcess(["backups", "drill", "--id", "\(running)", "--wait"], environment: asB)
            #expect(try await refused.waitForExit() != 0)
            #expect(refused.log.contains("backup \(running) is running, it is still being made") && !refused.log.contains("enqueued"), "\(refused.log)")
            let verdict = try await TestDatabase.withClient(url: source, migrate: false) { client in
                try await client.scalar("SELECT coalesce(verification_status, 'none') FROM backup_history WHERE id = \(running)", as: String.self)
            }
            #expect(verdict == "none")
        }
    }
}
