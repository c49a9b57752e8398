@testable import BackOffice
import Database
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage
import PostgresNIO
import Synchronization
import Testing
import TestSupport

/// nightly-dump and restore-drill with real pg_dump and pg_restore, a real PostgreSQL and a
/// real S3-compatible server.
@Suite struct DumpTests {
    func runJob<Kind: JobKind>(_ kind: Kind.Type, _ args: Kind.Args, registry: JobRegistry, client: PostgresClient,
                               maxAttempts: Int? = nil) async throws -> JobRecord {
        let queue = TestDatabase.uniqueQueue("dump")
        let store = JobStore(client: client, logger: TestDatabase.logger)
        let job = try await store.enqueue(try NewJob(kind, args: args, queue: queue, maxAttempts: maxAttempts))
        let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
        try await eventually(timeout: .seconds(120), "\(Kind.kind) finished") {
            [.succeeded, .discarded].contains(try await store.job(job.id)?.state)
        }
        try await harness.stop()
        return try #require(try await store.job(job.id))
    }

    @Test func aDumpInLocalOnlyModeIsRecordedWithItsChecksumAndCountsAndItsDrillPasses() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let store = fixture.localStore()
                let registry = try fixture.registry(store: store)
                let job = try await runJob(NightlyDumpJob.self, .init(type: .manual), registry: registry, client: client)
                #expect(job.state == .succeeded, "\(job.lastError ?? "")")
                let row = try #require(try await fixture.history(client).list(branch: fixture.branch).first)
                #expect(row.status == .completed && row.type == .manual && row.jobID == job.id && row.attempt == 1)
                let file = URL(fileURLWithPath: try #require(row.localPath))
                #expect(file.path.hasPrefix(fixture.settings.dumpDirectory.path) && file.lastPathComponent.hasPrefix(fixture.branch + "_"))
                #expect(try FileDigest.sha256(of: file) == (row.sizeBytes!, row.sha256!))
                #expect(fixture.dumpFiles() == [file.lastPathComponent], "no temporary file left")
                let progress = try #require(job.progress?.progress, "the dump reported its progress")
                #expect(progress.unit == .bytes && progress.done == row.sizeBytes!, "\(progress)")
                // The copy in the folder that stands for the bucket, under the seed's key.
                let key = try #require(row.objectKey)
                #expect(key == "\(fixture.branch)/backups/\(file.lastPathComponent)")
                #expect(try await store.head(key)?.sha256 == row.sha256)
                // Counts taken in the dump's snapshot: exactly the rows there.
                #expect(row.tableCounts["public.pagamentos"] == 30 && row.tableCounts["public.gastos"] == 30)
                #expect(row.tableCounts["public.schema_migrations"] == Int64(EmbeddedMigrations.all.count))

                let drill = try await runJob(RestoreDrillJob.self, .init(backupID: row.id), registry: registry, client: client)
                #expect(drill.state == .succeeded, "\(drill.lastError ?? "")")
                let verified = try #require(try await fixture.history(client).record(row.id))
                #expect(verified.verificationStatus == "true" && verified.verifiedAt != nil)
                #expect(verified.verificationDetails?.contains("\"passed\": true") == true, "\(verified.verificationDetails ?? "")")
                let scratch = try await client.scalar("SELECT count(*)::int FROM pg_database WHERE datname LIKE \("nightshift_drill_%_\(row.id)_%")", as: Int.self)
                #expect(scratch == 0, "the drill dropped its scratch database")
            }
        }
    }

    @Test func aDumpGoesToTheBucketAndTheDrillRestoresItFromThereWhenTheLocalFileIsGone() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let bucket = try await TestObjectStorage.freshBucket("dump")
                let registry = try fixture.registry(store: bucket)
                let job = try await runJob(NightlyDumpJob.self, .init(date: "2030-03-10"), registry: registry, client: client)
                #expect(job.state == .succeeded, "\(job.lastError ?? "")")
                let row = try #require(try await fixture.history(client).latestCompleted(branch: fixture.branch))
                #expect(row.type == .daily)
                let listed = try await bucket.list(prefix: "\(fixture.branch)/backups/")
                #expect(listed.map(\.key) == [row.objectKey!] && listed.first?.size == row.sizeBytes)
                #expect(try await bucket.head(row.objectKey!)?.sha256 == row.sha256)
                try FileManager.default.removeItem(atPath: row.localPath!)

                let drill = try await runJob(RestoreDrillJob.self, .init(), registry: registry, client: client)
                #expect(drill.state == .succeeded, "the latest dump, downloaded: \(drill.lastError ?? "")")
                #expect(try await fixture.history(client).record(row.id)?.verificationStatus == "true")
                #expect(fixture.dumpFiles().isEmpty, "the download was removed after the drill")
            }
        }
    }

    /// Issue 34 item 4: the local store keeps a copy, not a hard link, so damage in place hits
    /// the local file alone; the drill then restores the store's copy, says so, and repairs the
    /// local file with it. Only when
    /// both copies are damaged does the drill fail, naming the checksum.
    @Test(arguments: ["flip", "truncate"])
    func aDamagedLocalDumpIsReplacedByTheStoresCopyAndOnlyBothDamagedFailTheDrill(damage: String) async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let store = fixture.localStore()
                let registry = try fixture.registry(store: store)
                _ = try await runJob(NightlyDumpJob.self, .init(), registry: registry, client: client)
                let row = try #require(try await fixture.history(client).latestCompleted(branch: fixture.branch))
                let file = URL(fileURLWithPath: row.localPath!)
                let object = store.root.appendingPathComponent(row.objectKey!)
                #expect(try Self.inode(file) != Self.inode(object), "the store's copy is a copy, not a hard link")
                func harm(_ file: URL) throws {
                    // In place, as a failing disk or a stray `truncate` would: the same inode.
                    let handle = try FileHandle(forUpdating: file)
                    defer { try? handle.close() }
                    let size = try handle.seekToEnd()
                    if damage == "flip" {
                        try handle.seek(toOffset: size / 2)
                        let byte = try handle.read(upToCount: 1)![0] ^ 0x40
                        try handle.seek(toOffset: size / 2)
                        try handle.write(contentsOf: Data([byte]))
                    } else {
                        try handle.truncate(atOffset: size * 2 / 3)
                    }
                }
                try harm(file)
                #expect(try await store.head(row.objectKey!)?.size == row.sizeBytes, "damage in place did not reach the store's copy")

                let rescued = try await runJob(RestoreDrillJob.self, .init(backupID: row.id), registry: registry, client: client)
                #expect(rescued.state == .succeeded, "the store's copy is good: \(rescued.lastError ?? "")")
                let passed = try #require(try await fixture.history(client).record(row.id))
                #expect(passed.verificationStatus == "true")
                #expect(passed.verificationDetails?.contains("the local copy was damaged") == true
                        && passed.verificationDetails?.contains("is not the dump that was made") == true, "\(passed.verificationDetails ?? "")")
                // break-dumps 5: the fallback is the row's to show (`backups show`, `drill --wait` print it).
                #expect(passed.drillNote?.contains("the local copy was damaged") == true, "\(passed.drillNote ?? "no note")")
                // And the local file is the good copy again (office2 item 8), said so, no download left.
                #expect(try FileDigest.sha256(of: file) == (row.sizeBytes!, row.sha256!), "the local file was repaired from the store's copy")
                #expect(passed.drillNote?.contains("the local file was repaired from it") == true, "\(passed.drillNote ?? "no note")")
                #expect(fixture.dumpFiles() == [file.lastPathComponent], "no download left beside it")

                try harm(file)
                try harm(object)
                let drill = try await runJob(RestoreDrillJob.self, .init(backupID: row.id), registry: registry, client: client)
                #expect(drill.state == .discarded, "a damaged dump is not retried")
                #expect(drill.lastError?.contains("restore drill of backup \(row.id) failed") == true)
                #expect(drill.lastError?.contains("is not the dump that was made") == true, "\(drill.lastError ?? "")")
                let verified = try #require(try await fixture.history(client).record(row.id))
                #expect(verified.verificationStatus == "false")
                #expect(verified.verificationDetails?.contains("tampered with, truncated or replaced") == true)
                #expect(verified.verificationDetails?.contains("is damaged too") == true, "both copies named: \(verified.verificationDetails ?? "")")
            }
        }
    }

    /// break-office2 9: a dump holds its own history row as `running`. Restored with `backups
    /// restore`, the target gets that row brought up to date from the source, so the target's
    /// first sweep finds nothing abandoned and the dump's file and object stay.
    @Test func aRestoredDatabaseSeesItsOwnDumpCompletedAndKeepsItsFiles() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient(url: fixture.database, migrate: false) { client in
                let store = fixture.localStore()
                let history = BackupHistory(client: client, logger: TestDatabase.logger)
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: store, history: history,
                                            logger: TestDatabase.logger)
                // A `backups restore` of an encrypted dump killed midway left its plaintext copy.
                let pidMax = Int32((try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 4_194_304
                let plaintext = fixture.settings.dumpDirectory.appendingPathComponent(".restore-424242-\(pidMax + 1)-plain.dump")
                try FileManager.default.createDirectory(at: fixture.settings.dumpDirectory, withIntermediateDirectories: true)
                try Data("PGDMP".utf8).write(to: plaintext)
                let record = try await dumper.dump(type: .manual, attempt: nil)
                #expect(record.status == .completed)
                #expect(!FileManager.default.fileExists(atPath: plaintext.path), "break-office2 19: the next dump's start removes a dead restore's plaintext copy")
                try await TestDatabase.withFreshDatabase { target in
                    let settled = try await DumpRestorer(settings: fixture.settings, store: store, logger: TestDatabase.logger)
                        .restoreBackup(record, history: history, into: target)
                    #expect(settled == 1)
                    try await TestDatabase.withClient(url: target, migrate: false) { restored in
                        let there = BackupHistory(client: restored, logger: TestDatabase.logger)
                        let row = try await there.record(record.id)
                        #expect(row?.status == .completed && row?.sha256 == record.sha256, "\(String(describing: row))")
                        let swept = try await DumpLeftovers.closeAbandoned(branch: fixture.branch, history: there, store: store, logger: TestDatabase.logger)
                        #expect(swept.isEmpty, "nothing abandoned in the restored database")
                    }
                    #expect(FileManager.default.fileExists(atPath: try #require(record.localPath)))
                    #expect(try await store.head(try #require(record.objectKey)) != nil)
                }
            }
        }
    }

    /// break-office2 2: in local-only mode the drill reads the store's copy back (its bytes, not
    /// the checksum recorded beside it): a flipped byte in it is found while the local file is
    /// still there, and the copy is replaced by the intact local one.
    @Test func aDrillReadsTheStoresCopyBackAndRepairsIt() async throws {
        try await DumpFixture.with { fixture in
            // The fixture's database as the queue's too: this drill's leftover sweep stays out of
            // the shared database, where other tests check what a sweep leaves.
            try await TestDatabase.withClient(url: fixture.database, migrate: false) { client in
                let store = fixture.localStore()
                let history = fixture.history(client)
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: store, history: history,
                                            logger: TestDatabase.logger)
                let record = try await dumper.dump(type: .manual, attempt: nil)
                let key = try #require(record.objectKey)
                let copy = store.root.appendingPathComponent(key)
                // One byte flipped in the middle, size unchanged.
                let handle = try FileHandle(forUpdating: copy)
                let middle = UInt64(try #require(record.sizeBytes) / 2)
                try handle.seek(toOffset: middle)
                let byte = try #require(try handle.read(upToCount: 1)?.first)
                try handle.seek(toOffset: middle)
                try handle.write(contentsOf: Data([byte ^ 0xFF]))
                try handle.close()
                #expect(try await store.head(key)?.sha256 == record.sha256, "the sidecar still says the recorded checksum")
                #expect(try store.readBack(key)?.sha256 != record.sha256)
                let restorer = DumpRestorer(settings: fixture.settings, store: store, logger: TestDatabase.logger)
                let report = try await RestoreDrill(restorer: restorer, history: history, database: fixture.database, logger: TestDatabase.logger)
                    .run(backupID: record.id)
                #expect(report.passed, "the dump itself is good: \(report.reason ?? "")")
                #expect(report.note?.contains("the store's copy \(key) was damaged") == true && report.note?.contains("replaced it with the local copy") == true,
                        "\(report.note ?? "no note")")
                #expect(try store.readBack(key)?.sha256 == record.sha256, "the store's copy is intact again")
                // Intact now: the next drill says nothing of it.
                let again = try await RestoreDrill(restorer: restorer, history: history, database: fixture.database, logger: TestDatabase.logger)
                    .run(backupID: record.id)
                #expect(again.passed && again.note == nil, "\(again.note ?? "")")
            }
        }
    }

    /// office3 (brief item 5): the dump's own nightly-dump job is `running` in its snapshot. The
    /// restore's fix-up ends that attempt in the target as the dump ended (succeeded), so the
    /// target's rescuer does not retry it and make one more dump there.
    @Test func aRestoredDatabaseSeesTheDumpsOwnJobSucceededAndDoesNotRescueIt() async throws {
        try await DumpFixture.with { fixture in
            // The queue and the dumped database are one, as deployed: the job's row is in the dump.
            try await TestDatabase.withClient(url: fixture.database, migrate: false) { client in
                let store = fixture.localStore()
                let history = fixture.history(client)
                // A worker's attempt 1 of a nightly-dump job: its row is `running` while pg_dump runs.
                let jobID = try await JobFactory.insert(client, kind: NightlyDumpJob.kind, queue: TestDatabase.uniqueQueue("ownjob"), state: .running)
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: store, history: history,
                                            logger: TestDatabase.logger)
                let record = try await dumper.dump(type: .manual, attempt: .init(jobID: jobID, number: 1))
                #expect(record.status == .completed && record.jobID == jobID)
                try await JobFactory.mark([jobID], .succeeded, on: client)
                let job = try #require(try await JobStore(client: client, logger: TestDatabase.logger).job(jobID))
                try await TestDatabase.withFreshDatabase { target in
                    let settled = try await DumpRestorer(settings: fixture.settings, store: store, logger: TestDatabase.logger)
                        .restoreBackup(record, history: history, into: target)
                    #expect(settled == 1)
                    try await TestDatabase.withClient(url: target, migrate: false) { restored in
                        let jobs = JobStore(client: restored, logger: TestDatabase.logger)
                        let there = try #require(try await jobs.job(job.id))
                        #expect(there.state == .succeeded && there.attempt == job.attempt, "the dump's job in the target: \(there.state)")
                        _ = try await jobs.rescueStuckJobs(staleAfter: .zero)
                        #expect(try await jobs.job(job.id)?.state == .succeeded, "the rescuer leaves it alone")
                        #expect(try await restored.scalar("SELECT count(*)::int FROM jobs WHERE state = 'running'", as: Int.self) == 0)
                    }
                }
                // break-office3 1: restored in place (production from its own dump), the rows are
                // read before pg_restore replaces them: the dump's row and job come out finished,
                // and a sweep leaves its file and its store copy.
                let inPlace = try await DumpRestorer(settings: fixture.settings, store: store, logger: TestDatabase.logger)
                    .restoreBackup(record, history: history, into: fixture.database)
                #expect(inPlace == 1)
                let row = try await history.record(record.id)
                #expect(row?.status == .completed && row?.sha256 == record.sha256, "\(String(describing: row))")
                #expect(try await JobStore(client: client, logger: TestDatabase.logger).job(job.id)?.state == .succeeded)
                let swept = try await DumpLeftovers.closeAbandoned(branch: fixture.branch, history: history, store: store, logger: TestDatabase.logger)
                #expect(swept.isEmpty, "nothing abandoned after an in-place restore")
                #expect(FileManager.default.fileExists(atPath: try #require(record.localPath)))
                #expect(try await store.head(try #require(record.objectKey)) != nil)
            }
        }
    }

    /// break-office3 6: a row whose drill verdict the target refuses (0017's trigger: a verdict
    /// written without the digest versions it knew) is still settled, without the verdict, so
    /// it is not left `running` for a sweep to delete its dump.
    @Test func aRestoredRowWhoseVerdictTheTargetRefusesIsSettledWithoutIt() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient(url: fixture.database, migrate: false) { client in
                let store = fixture.localStore()
                let history = fixture.history(client)
                let record = try await DatabaseDumper(settings: fixture.settings, database: fixture.database, store: store, history: history,
                                                      logger: TestDatabase.logger).dump(type: .manual, attempt: nil)
                let restorer = DumpRestorer(settings: fixture.settings, store: store, logger: TestDatabase.logger)
                #expect(try await RestoreDrill(restorer: restorer, history: history, database: fixture.database, logger: TestDatabase.logger)
                    .run(backupID: record.id).passed)
                // An older release's verdict, written past the trigger.
                _ = try await Transaction.run(on: client, logger: TestDatabase.logger) { connection in
                    try await connection.query("SET LOCAL session_replication_role = replica", logger: TestDatabase.logger)
                    try await connection.query("""
                        UPDATE backup_history SET verification_details = verification_details - 'knownDigestVersions' WHERE id = \(record.id)
                        """, logger: TestDatabase.logger)
                }
                try await TestDatabase.withFreshDatabase { target in
                    let settled = try await restorer.restoreBackup(record, history: history, into: target)
                    #expect(settled == 1)
                    try await TestDatabase.withClient(url: target, migrate: false) { restored in
                        let row = try await BackupHistory(client: restored, logger: TestDatabase.logger).record(record.id)
                        #expect(row?.status == .completed && row?.sha256 == record.sha256 && row?.verificationStatus == nil, "\(String(describing: row))")
                    }
                }
            }
        }
    }

    /// break-office2 16: a retry stops the dead attempt's pg_dump of ITS database only; a
    /// pg_dump of another database on the server by a job with the same id goes on.
    @Test func aRetryStopsOnlyThePgDumpOfItsOwnDatabase() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let jobID = Int64.random(in: 900_000_000...999_999_999)
                let name = "nightshift-dump job \(jobID) attempt 1"
                let elsewhere = LibPQSession(url: TestDatabase.url, applicationName: name)
                defer { elsewhere.close() }
                let dead = LibPQSession(url: fixture.database, applicationName: name)
                defer { dead.close() }
                for session in [elsewhere, dead] { try await session.run { _ = try $0.execute("SELECT 1") } }
                let sessions: @Sendable (String) async throws -> Int = { database in
                    try await client.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(name) AND datname = \(database)", as: Int.self) ?? -1
                }
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil, history: fixture.history(client),
                                            logger: TestDatabase.logger)
                try await dumper.cleanUpInterrupted(.init(jobID: jobID, number: 2))
                try await eventually(timeout: .seconds(30), "the dead attempt's backend in the dumped database is stopped") {
                    try await sessions(fixture.database.database) == 0
                }
                #expect(try await sessions(TestDatabase.url.database) == 1, "another database's pg_dump of a job with the same id goes on")
            }
        }
    }

    /// break-office2 7: a drill that cannot reach its target (a typo'd RESTORE_DATABASE_URL)
    /// says nothing about the dump: no verdict is written, the error names the target.
    @Test func aDrillThatCannotReachItsTargetWritesNoVerdict() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let history = fixture.history(client)
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil, history: history,
                                            logger: TestDatabase.logger)
                let record = try await dumper.dump(type: .manual, attempt: nil)
                var settings = fixture.settings
                var typo = fixture.database
                typo.database = "nosuch_\(UUID().uuidString.prefix(6).lowercased())"
                settings.dumps.restoreDatabase = typo
                let drill = RestoreDrill(restorer: DumpRestorer(settings: settings, store: nil, logger: TestDatabase.logger), history: history,
                                         database: fixture.database, logger: TestDatabase.logger)
                await #expect {
                    _ = try await drill.run(backupID: record.id)
                } throws: { error in
                    "\(error)".contains(typo.database) && (error as? DumpError)?.theTargetsFault == true
                }
                let row = try await history.record(record.id)
                #expect(row?.verificationStatus == nil && row?.status == .completed, "no verdict on a good dump")
            }
        }
    }

    /// break-office3 2: RESTORE_DATABASE_URL naming the dumped database or the queue's (under any
    /// spelling: the drill asks the server, not the URL) is refused before anything is restored:
    /// no verdict, the database untouched, the error says what to do.
    @Test func aDrillRefusesARestoreTargetThatIsTheDumpedOrTheQueuesDatabase() async throws {
        try await DumpFixture.with { fixture in
            // The fixture's database is the queue's (its drills' sweeps stay out of the shared one).
            try await TestDatabase.withClient(url: fixture.database, migrate: false) { client in
                let history = fixture.history(client)
                let record = try await DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil, history: history,
                                                      logger: TestDatabase.logger).dump(type: .manual, attempt: nil)
                try await TestDatabase.withClient(url: fixture.database, migrate: false) { dumped in
                    _ = try await dumped.query("CREATE TABLE made_after_the_dump AS SELECT 1 AS n", logger: TestDatabase.logger)
                }
                // Dumped = the fixture's database; then dumped = another database, the target the queue's.
                for (dumped, named) in [(fixture.database, "the dumped database"), (TestDatabase.url, "the queue's database")] {
                    var settings = fixture.settings
                    settings.dumps.restoreDatabase = fixture.database
                    let drill = RestoreDrill(restorer: DumpRestorer(settings: settings, store: nil, logger: TestDatabase.logger), history: history,
                                             database: dumped, logger: TestDatabase.logger)
                    await #expect {
                        _ = try await drill.run(backupID: record.id)
                    } throws: { error in
                        "\(error)".contains("RESTORE_DATABASE_URL") && "\(error)".contains(named) && "\(error)".contains("Point RESTORE_DATABASE_URL at a database kept for drills")
                    }
                }
                #expect(try await history.record(record.id)?.verificationStatus == nil, "no verdict")
                let kept = try await TestDatabase.withClient(url: fixture.database, migrate: false) { dumped in
                    try await dumped.scalar("SELECT count(*)::int FROM made_after_the_dump", as: Int.self)
                }
                #expect(kept == 1, "not restored over")
            }
        }
    }

    /// break-office2 14: a standing RESTORE_DATABASE_URL keeps the tables an earlier drill of a
    /// newer dump left there; drilling an older dump compares the tables it holds, and names the
    /// others instead of failing a good dump on them.
    @Test func aStandingDrillDatabasesLeftoverTablesDoNotFailAnOlderDump() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let history = fixture.history(client)
                let record = try await DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil, history: history,
                                                      logger: TestDatabase.logger).dump(type: .manual, attempt: nil)
                try await TestDatabase.withFreshDatabase { standing in
                    try await TestDatabase.withClient(url: standing, migrate: false) { target in
                        _ = try await target.query("CREATE TABLE left_by_a_newer_dump AS SELECT g AS n FROM generate_series(1, 5) g", logger: TestDatabase.logger)
                    }
                    var settings = fixture.settings
                    settings.dumps.restoreDatabase = standing
                    let drill = RestoreDrill(restorer: DumpRestorer(settings: settings, store: nil, logger: TestDatabase.logger), history: history,
                                             database: fixture.database, logger: TestDatabase.logger)
                    let report = try await drill.run(backupID: record.id)
                    #expect(report.passed, "\(report.reason ?? "")")
                    #expect(report.note?.contains("public.left_by_a_newer_dump") == true, "\(report.note ?? "no note")")
                }
            }
        }
    }

    static func inode(_ file: URL) throws -> UInt64 {
        try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? NSNumber).uint64Value
    }

    @Test func aDumpWhoseTableCountsDifferFromTheRestoreFailsTheDrillNamingTheTable() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let registry = try fixture.registry(store: fixture.localStore())
                _ = try await runJob(NightlyDumpJob.self, .init(), registry: registry, client: client)
                let row = try #require(try await fixture.history(client).latestCompleted(branch: fixture.branch))
                // History says the dump held one more payment than it did.
                try await client.query("""
                    UPDATE backup_history SET table_counts = jsonb_set(table_counts, '{public.pagamentos}', '31') WHERE id = \(row.id)
                    """)
                let drill = try await runJob(RestoreDrillJob.self, .init(backupID: row.id), registry: registry, client: client)
                #expect(drill.state == .discarded)
                let details = try #require(try await fixture.history(client).record(row.id)?.verificationDetails)
                #expect(details.contains("\"table\": \"public.pagamentos\"") && details.contains("\"dumped\": 31") && details.contains("\"restored\": 30"),
                        "\(details)")
            }
        }
    }

    /// Found by ops/chaos.sh: a PostgreSQL restart during a drill's pg_restore failed the drill
    /// and marked a good dump bad. A server that cannot be reached says nothing about the dump:
    /// the attempt fails as retryable and no verdict is recorded.
    @Test func aDrillThatCannotReachTheServerRecordsNoVerdictAndIsRetried() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                _ = try await runJob(NightlyDumpJob.self, .init(), registry: try fixture.registry(store: fixture.localStore()), client: client)
                let row = try #require(try await fixture.history(client).latestCompleted(branch: fixture.branch))
                var unreachable = fixture
                var target = fixture.database
                target.port = 1
                unreachable.settings.dumps.restoreDatabase = target
                let drill = try await runJob(RestoreDrillJob.self, .init(backupID: row.id),
                                             registry: try unreachable.registry(store: fixture.localStore()), client: client, maxAttempts: 1)
                let error = drill.lastError ?? ""
                #expect(error.contains("pg_restore failed") && error.contains("refused"), "\(error)")
                #expect(!error.contains("restore drill of backup"), "not discarded as a failed drill: \(error)")
                let record = try #require(try await fixture.history(client).record(row.id))
                #expect(record.verificationStatus == nil, "no verdict on a dump that was never restored")
            }
        }
    }

    /// Found by ops/chaos.sh: two dumps of a branch in the same second shared a name, and the
    /// second overwrote the first's file and object. Now they run one after the other (the
    /// branch's lock) and the second takes the next free second.
    @Test func dumpsOfABranchInTheSameSecondNeverShareANameFileOrObject() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let store = fixture.localStore()
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: store,
                                            history: fixture.history(client), logger: TestDatabase.logger)
                let instant = Date()
                async let first = dumper.dump(type: .manual, attempt: nil, at: instant)
                async let second = dumper.dump(type: .manual, attempt: nil, at: instant)
                let third = try await dumper.dump(type: .manual, attempt: nil, at: instant)
                let rows = try await [first, second, third]
                #expect(Set(rows.map(\.objectKey)).count == 3 && Set(rows.map(\.localPath)).count == 3, "\(rows.map(\.objectKey))")
                for row in rows {
                    #expect(try FileDigest.sha256(of: URL(fileURLWithPath: row.localPath!)).sha256 == row.sha256)
                    #expect(try await store.head(row.objectKey!)?.sha256 == row.sha256)
                }
            }
        }
    }

    /// Found by ops/chaos.sh: a failed attempt's name went back into use, and the next attempt of
    /// its job, cleaning up after it, removed the newer dump that now had that name (a completed
    /// row with no file and no object). A name any row has had is never given out again, and a
    /// row closed by a later attempt cannot be marked completed by the attempt that lost it.
    @Test func aFailedDumpsNameIsNotReusedAndAClosedRowCannotBeCompleted() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let store = fixture.localStore()
                let history = fixture.history(client)
                var unreachable = fixture.database
                unreachable.port = 1
                let instant = Date()
                let failing = DatabaseDumper(settings: fixture.settings, database: unreachable, store: store, history: history, logger: TestDatabase.logger)
                await #expect(throws: (any Error).self) { try await failing.dump(type: .manual, attempt: nil, at: instant) }
                let failed = try #require(try await history.list(branch: fixture.branch).first)
                #expect(failed.status == .failed)
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: store, history: history, logger: TestDatabase.logger)
                let good = try await dumper.dump(type: .manual, attempt: nil, at: instant)
                #expect(good.objectKey != failed.objectKey && good.localPath != failed.localPath, "\(good.objectKey ?? "-") vs \(failed.objectKey ?? "-")")

                // Attempt 1 of job 9_000_001 loses its worker; attempt 2 closes its row.
                let lost = try await history.start(type: .manual, branch: fixture.branch, objectKey: "\(fixture.branch)/backups/lost.dump",
                                                   localPath: "/nonexistent/lost.dump", jobID: 9_000_001, attempt: 1)
                _ = try await dumper.dump(type: .manual, attempt: .init(jobID: 9_000_001, number: 2), at: instant)
                #expect(try await history.record(lost)?.status == .failed)
                #expect(try await !history.complete(lost, sizeBytes: 1, sha256: "00", tables: [:]), "the lost attempt is fenced")
                #expect(try await history.record(lost)?.status == .failed)
                #expect(try FileDigest.sha256(of: URL(fileURLWithPath: good.localPath!)).sha256 == good.sha256, "the good dump is untouched")
                #expect(try await store.head(good.objectKey!)?.sha256 == good.sha256)
            }
        }
    }

    @Test func aMissingOrFailingPgDumpIsAClearErrorAndLeavesNothing() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                var settings = fixture.settings
                settings.dumps.postgresBinDirectory = "/nonexistent/bin"
                let missing = DatabaseDumper(settings: settings, database: fixture.database, store: nil,
                                             history: fixture.history(client), logger: TestDatabase.logger)
                await #expect {
                    _ = try await missing.dump(type: .manual, attempt: nil)
                } throws: { error in
                    "\(error)".contains("pg_dump not found (looked in PG_BIN_DIR=/nonexistent/bin)")
                        && (error as? DumpError)?.category == .misconfigured(setting: "PG_BIN_DIR")
                }
                var gone = fixture.database
                gone.database = "nightshift_no_such_database"
                let failing = DatabaseDumper(settings: fixture.settings, database: gone, store: fixture.localStore(),
                                             history: fixture.history(client), logger: TestDatabase.logger)
                await #expect {
                    _ = try await failing.dump(type: .manual, attempt: nil)
                } throws: { error in
                    "\(error)".contains("does not exist") && !"\(error)".contains(gone.password ?? "no-password-in-tests")
                }
                let row = try #require(try await fixture.history(client).list(branch: fixture.branch).first)
                #expect(row.status == .failed && row.error?.contains("does not exist") == true, "history shows pg_dump's own message")
                #expect(fixture.dumpFiles().isEmpty, "no partial or temporary file")
                #expect(try await fixture.localStore().list(prefix: "").isEmpty)
            }
        }
    }

    /// Issue 34's last bullet: local retention honours `retention_until` as the cloud prune
    /// does, and leaves a dump a drill is restoring (its in-use lock held in a second session)
    /// for the next dump.
    @Test func localRetentionKeepsARaisedRetentionUntilAndADumpInUse() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let folder = fixture.settings.dumpDirectory
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let zone = fixture.settings.branch.timeZone
                let names = (8...10).map { DumpName(branch: fixture.branch, at: Date().addingTimeInterval(-Double($0) * 86_400), in: zone).fileName }
                var ids: [Int64] = []
                for (index, name) in names.enumerated() {
                    let path = folder.appendingPathComponent(name).path
                    try Data("x".utf8).write(to: URL(fileURLWithPath: path))
                    let id = try await BackupFactory.insert(client, branch: fixture.branch, startedAt: Date().addingTimeInterval(-Double(8 + index) * 86_400),
                                                            retentionUntil: index == 0 ? Date().addingTimeInterval(30 * 86_400) : Date().addingTimeInterval(-86_400))
                    try await client.query("UPDATE backup_history SET local_path = \(path) WHERE id = \(id)", logger: TestDatabase.logger)
                    ids.append(id)
                }
                let drilling = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test drill in progress")
                defer { drilling.close() }
                let inUse = ids[1]
                try await drilling.run { _ = try $0.execute("SELECT pg_advisory_lock_shared(hashtext('nightshift-backup-in-use:\(inUse)'))") }
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil,
                                            history: fixture.history(client), logger: TestDatabase.logger)
                _ = try await dumper.dump(type: .manual, attempt: nil)
                var files = fixture.dumpFiles()
                #expect(files.contains(names[0]), "its retention_until is ahead")
                #expect(files.contains(names[1]), "a drill is restoring it")
                #expect(!files.contains(names[2]), "past both")
                drilling.close()
                _ = try await dumper.dump(type: .manual, attempt: nil)
                files = fixture.dumpFiles()
                #expect(files.contains(names[0]) && !files.contains(names[1]), "the drill done, the next dump removes it")
            }
        }
    }

    /// break-dumps 2: every row's retention_until defaults to started_at + 30 days; that default
    /// kept every local file 30 days whatever BACKUP_RETENTION_DAYS said. Only a raised one keeps it.
    @Test func theDefaultRetentionUntilDoesNotKeepALocalFilePastBackupRetentionDays() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let folder = fixture.settings.dumpDirectory
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let started = Date().addingTimeInterval(-8 * 86_400)
                let name = DumpName(branch: fixture.branch, at: started, in: fixture.settings.branch.timeZone).fileName
                let path = folder.appendingPathComponent(name).path
                try Data("x".utf8).write(to: URL(fileURLWithPath: path))
                let id = try await BackupFactory.insert(client, branch: fixture.branch, startedAt: started)
                try await client.query("""
                    UPDATE backup_history SET local_path = \(path), retention_until = started_at + interval '30 days' WHERE id = \(id)
                    """, logger: TestDatabase.logger)
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil,
                                            history: fixture.history(client), logger: TestDatabase.logger)
                _ = try await dumper.dump(type: .manual, attempt: nil)
                #expect(!fixture.dumpFiles().contains(name), "8 days old, BACKUP_RETENTION_DAYS 7, retention_until only its default")
            }
        }
    }

    /// break-dumps 7: a dump waiting for its branch's lock (held by a second session, as a long
    /// `migrate --backup-first` holds it) stops at once when its task is cancelled (the worker's
    /// shutdown grace over) instead of blocking in the server until the holder lets go.
    @Test func aDumpWaitingForItsBranchLockStopsWhenCancelled() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                let holder = LibPQSession(url: TestDatabase.url, applicationName: "nightshift-test branch lock holder")
                defer { holder.close() }
                let key = DatabaseDumper.lockKey(branch: fixture.branch)
                try await holder.run { _ = try $0.execute("SELECT pg_advisory_lock(hashtext('\(key)'))") }
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil,
                                            history: fixture.history(client), logger: TestDatabase.logger)
                let ended = Flag()
                let task = Task {
                    defer { ended.set() }
                    _ = try await dumper.dump(type: .manual, attempt: nil)
                }
                try await eventually(timeout: .seconds(30), "the dump asks for the lock") {
                    var waiting = 0
                    for try await n in try await client.query("""
                        SELECT count(*)::int FROM pg_stat_activity WHERE query LIKE 'SELECT pg%advisory_lock(hashtext($1))'
                        """, logger: TestDatabase.logger).decode(Int.self) { waiting = n }
                    return waiting > 0
                }
                task.cancel()
                try await eventually(timeout: .seconds(10), "the cancelled dump stops while the lock is still held") { ended.isSet }
                await #expect(throws: CancellationError.self) { try await task.value }
                #expect(fixture.dumpFiles().isEmpty, "no dump was made")
            }
        }
    }

    @Test func localDumpsPastTheirRetentionAreRemovedAfterADump() async throws {
        try await DumpFixture.with { fixture in
            try await TestDatabase.withClient { client in
                try FileManager.default.createDirectory(at: fixture.settings.dumpDirectory, withIntermediateDirectories: true)
                let zone = fixture.settings.branch.timeZone
                let old = DumpName(branch: fixture.branch, at: Date().addingTimeInterval(-8 * 86_400), in: zone).fileName
                let recent = DumpName(branch: fixture.branch, at: Date().addingTimeInterval(-2 * 86_400), in: zone).fileName
                let otherBranch = DumpName(branch: "elsewhere", at: Date().addingTimeInterval(-30 * 86_400), in: zone).fileName
                // break-dumps 4: a branch whose id starts with this one's and `_` is another branch.
                let longerBranch = DumpName(branch: fixture.branch + "_sul", at: Date().addingTimeInterval(-30 * 86_400), in: zone).fileName
                for name in [old, recent, otherBranch, longerBranch] {
                    try Data("x".utf8).write(to: fixture.settings.dumpDirectory.appendingPathComponent(name))
                }
                let dumper = DatabaseDumper(settings: fixture.settings, database: fixture.database, store: nil,
                                            history: fixture.history(client), logger: TestDatabase.logger)
                let made = try await dumper.dump(type: .manual, attempt: nil)
                let files = fixture.dumpFiles()
                #expect(!files.contains(old), "older than BACKUP_RETENTION_DAYS (7)")
                #expect(files.contains(recent) && files.contains(otherBranch) && files.contains(URL(fileURLWithPath: made.localPath!).lastPathComponent))
                #expect(files.contains(longerBranch), "\(fixture.branch)_sul's dump is not \(fixture.branch)'s to remove")
            }
        }
    }

    @Test func aStoreThatStopsMidUploadFailsTheAttemptAndTheRetryCompletesLeavingNoParts() async throws {
        let server = try S3TestServer()
        try await DumpFixture.with(padding: 48) { fixture in
            try await TestDatabase.withClient { client in
                let bucket = try await TestObjectStorage.freshBucket("stall", endpoint: server.endpoint, credentials: server.credentials) {
                    $0.partSize = 5 * 1024 * 1024
                    $0.partsInFlight = 1
                    $0.requestTimeout = .seconds(2)
                    $0.transferTimeout = .seconds(2)
                    $0.maxAttempts = 2
                    $0.retry = RetryPolicy(base: .milliseconds(50), cap: .milliseconds(100), jitter: 0)
                }
                let registry = try fixture.registry(store: bucket)
                let queue = TestDatabase.uniqueQueue("stall")
                let jobs = JobStore(client: client, logger: TestDatabase.logger)
                let job = try await jobs.enqueue(try NewJob(NightlyDumpJob.self, args: .init(), queue: queue))
                var configuration = WorkerHarness.configuration(queue: queue)
                configuration.retryPolicy = RetryPolicy(base: .seconds(1), cap: .seconds(1), jitter: 0)
                let harness = try WorkerHarness(client: client, configuration: configuration, registry: registry)
                let prefix = "\(fixture.branch)/backups/"
                try await eventually(timeout: .seconds(120), "the upload under way") { try await bucket.incompleteUploads(prefix: prefix).count == 1 }
                server.pause()
                try await eventually(timeout: .seconds(60), "the first attempt failed") { try await jobs.job(job.id)?.errors.isEmpty == false }
                server.resume()
                try await eventually(timeout: .seconds(120), "the retry succeeded") { try await jobs.job(job.id)?.state == .succeeded }
                try await harness.stop()

                let rows = try await fixture.history(client).list(branch: fixture.branch).sorted { $0.id < $1.id }
                #expect(rows.map(\.status) == [.failed, .completed], "history shows the failed run, then the completed one")
                #expect(rows.first?.error?.contains("did not answer") == true, "\(rows.first?.error ?? "")")
                #expect(try await bucket.incompleteUploads(prefix: prefix).isEmpty, "the stalled upload was aborted")
                let objects = try await bucket.list(prefix: prefix)
                #expect(objects.map(\.key) == [rows.last!.objectKey!], "one object, the completed attempt's")
                #expect(try await bucket.head(rows.last!.objectKey!)?.sha256 == rows.last!.sha256)
                #expect((rows.last!.sizeBytes ?? 0) > 20 * 1024 * 1024, "big enough to go up in parts")
                #expect(fixture.dumpFiles() == [URL(fileURLWithPath: rows.last!.localPath!).lastPathComponent])
            }
        }
    }
}

/// Set once, read from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
