import Age
import Database
import Foundation
import NightshiftCore
import Logging
import ObjectStorage
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// Seconds spent in each step of a dump, for its log line: `dump=61.2 hash=0.7 check=0.1`.
struct PhaseClock {
    private var last = ContinuousClock.now
    private var laps: [(String, Duration)] = []
    mutating func lap(_ name: String) {
        let now = ContinuousClock.now
        laps.append((name, now - last))
        last = now
    }
    var summary: String { laps.map { "\($0.0)=\(String(format: "%.1f", $0.1.timeInterval))" }.joined(separator: " ") }
}

/// Makes one dump (seeds 003 and 004): `pg_dump -Fc` of the database into
/// `{BACKUP_DIR}/dumps/{branch}_{YYYYMMDD_HHMMSS}.dump`, every table's row count taken in the
/// same snapshot, checked with `pg_restore --list`, uploaded to the store, recorded in
/// `backup_history`. Nothing is left half-done: a failed attempt leaves no file, no object and
/// no open upload, and its history row says why.
public struct DatabaseDumper: Sendable {
    public let settings: BackOfficeSettings
    /// The database dumped (`DUMP_DATABASE_URL`, else `DATABASE_URL`).
    public let database: DatabaseURL
    /// Where dumps go off the machine; nil keeps them local only.
    public let store: (any ObjectStore)?
    /// Where history is written (the queue's database); nil before `backup_history` exists
    /// (a `migrate --backup-first` of a database older than the table).
    public let history: BackupHistory?
    public let logger: Logger

    public init(settings: BackOfficeSettings, database: DatabaseURL, store: (any ObjectStore)?, history: BackupHistory?, logger: Logger) {
        self.settings = settings
        self.database = database
        self.store = store
        self.history = history
        self.logger = logger
    }

    /// Which attempt this is, so a retry can clean up after an attempt that died.
    public struct Attempt: Sendable {
        public var jobID: Int64
        public var number: Int
        public init(jobID: Int64, number: Int) {
            self.jobID = jobID
            self.number = number
        }
        var applicationName: String { "nightshift-dump job \(jobID) attempt \(number)" }
    }

    /// One dump of the branch at a time, whoever asks: the kind's global limit keeps a second
    /// job of the branch from being claimed, and this lock (a session advisory lock on the
    /// queue's database, held for the whole dump, released by the server if the worker dies)
    /// covers what the limit cannot see — a `migrate --backup-first`, or a job enqueued with
    /// another `branch` argument — so two dumps never share a name, a file or an object.
    /// `progress` hears the dump's bytes written so far, once a second, against the branch's
    /// previous dump size (an estimate).
    public func dump(type: BackupRecord.Kind, attempt: Attempt?, at instant: Date = Date(),
                     progress: any WorkProgressReporting = NoProgress()) async throws -> BackupRecord {
        guard let history else { return try await dumpAlone(type: type, attempt: attempt, at: instant, progress: progress) }
        let key = "nightshift-dump:\(settings.branch.id)"
        return try await history.client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(hashtext(\(key)))", logger: logger)
            do {
                let record = try await dumpAlone(type: type, attempt: attempt, at: max(instant, Date()), progress: progress)
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(key)))", logger: logger)
                return record
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(key)))", logger: logger)
                throw error
            }
        }
    }

    private func dumpAlone(type: BackupRecord.Kind, attempt: Attempt?, at instant: Date, progress: any WorkProgressReporting) async throws -> BackupRecord {
        if let attempt { try await cleanUpInterrupted(attempt) }
        let pgDump = try PostgresTool.locate("pg_dump", in: settings.dumps.postgresBinDirectory)
        let pgRestore = try PostgresTool.locate("pg_restore", in: settings.dumps.postgresBinDirectory)
        let encryption = settings.encryption
        let name = try await freeName(at: instant, encrypted: encryption.isOn)
        let folder = settings.dumpDirectory
        let final = name.localFile(in: folder)
        let temporary = folder.appendingPathComponent(".\(name.fileName).tmp-\(attempt.map { "job\($0.jobID)-a\($0.number)" } ?? "pid\(getpid())")")
        try makeFolder(folder)
        let previousSize = (try? await history?.latestCompleted(branch: name.branch))?.flatMap(\.sizeBytes)
        let id = try await history?.start(type: type, branch: name.branch, objectKey: store.map { _ in name.objectKey },
                                          localPath: final.path, jobID: attempt?.jobID, attempt: attempt?.number,
                                          encryption: encryption.isOn ? BackupEncryption.format : nil)
        var uploaded = false
        var phases = PhaseClock()
        do {
            let applicationName = attempt?.applicationName ?? "nightshift-dump \(type.rawValue)"
            let counts: [String: Int64], size: Int64, sha256: String
            let watcher = FileGrowthWatcher.start(temporary, expected: previousSize, step: "pg_dump", progress: progress)
            defer { watcher.cancel() }
            if encryption.isOn {
                (counts, size, sha256) = try await encryptedDump(pgDump, pgRestore, to: final, temporary: temporary,
                                                                 recipients: encryption.recipients, applicationName: applicationName)
                phases.lap("dump+encrypt+check")
            } else {
                counts = try await pgDumpInOneSnapshot(pgDump, output: .file(temporary), applicationName: applicationName)
                phases.lap("dump")
                try await requireWhole(temporary, pgRestore)
                phases.lap("whole")
                // pg_dump has synced the file; one read, from the page cache, for its hash.
                (size, sha256) = try FileDigest.sha256(of: temporary)
                phases.lap("hash")
                let listing = try await pgRestore.run(["--list", temporary.path], database: database, applicationName: "nightshift-dump check")
                guard listing.status == 0 else {
                    throw DumpError.toolFailed(name: "pg_restore --list", status: listing.status, message: listing.errors)
                }
                try moveIntoPlace(temporary, final)
                phases.lap("check")
            }
            watcher.cancel()
            if let store {
                progress.report(WorkProgress(done: size, total: size, unit: .bytes, step: "upload"))
                uploaded = true
                let stored = try await store.put(name.objectKey, file: final, contentType: "application/octet-stream", sha256: sha256)
                guard let head = try await store.head(name.objectKey), head.sha256 == stored.sha256, head.size == size else {
                    throw ObjectStorageError.checksumMismatch(key: name.objectKey, expected: sha256, actual: try? await store.head(name.objectKey)?.sha256)
                }
                phases.lap("upload")
            }
            if let id, let history, try await !history.complete(id, sizeBytes: size, sha256: sha256, tableCounts: counts) {
                throw DumpError.file("backup \(id) was closed by a later attempt of its job while this one ran (its worker had lost the job): this dump is removed")
            }
            // Recorded: from here on nothing undoes the dump.
            logger.info("dump completed", metadata: [
                "file": "\(final.path)", "bytes": "\(size)", "tables": "\(counts.count)", "object": "\(store.map { _ in name.objectKey } ?? "-")",
                "seconds": "\(phases.summary)",
            ])
            removeExpiredLocalDumps(keeping: final)
            if let id, let record = try? await history?.record(id) { return record }
            return BackupRecord(id: id ?? 0, type: type, branch: name.branch, startedAt: instant, finishedAt: Date(), status: .completed,
                                sizeBytes: size, sha256: sha256, objectKey: store.map { _ in name.objectKey }, localPath: final.path,
                                verificationStatus: nil, verifiedAt: nil, verificationDetails: nil, tableCounts: counts,
                                retentionUntil: instant.addingTimeInterval(30 * 86_400), error: nil, jobID: nil, attempt: nil,
                                encryption: encryption.isOn ? BackupEncryption.format : nil)
        } catch {
            unlink(temporary.path)
            if uploaded, let store {
                _ = try? await store.abortIncompleteUploads(prefix: name.objectKey)
                try? await store.delete([name.objectKey])
            }
            // The file stays only if the dump was good and only the upload failed; the retry
            // makes a new one, so remove it too, and leave nothing history does not describe.
            unlink(final.path)
            if let id { try? await history?.fail(id, error: "\(error)") }
            throw error
        }
    }

    /// An encrypted dump: pg_dump writes to a pipe; each block is encrypted into the dump's
    /// file as it arrives and, until it has read the archive's table of contents, also fed to
    /// `pg_restore --list`, so the dump is checked while its plaintext never touches the disk.
    /// Returns the counts, and the size and SHA-256 of the encrypted file, which is in place.
    private func encryptedDump(_ pgDump: PostgresTool, _ pgRestore: PostgresTool, to final: URL, temporary: URL,
                               recipients: [AgeRecipient], applicationName: String) async throws -> ([String: Int64], Int64, String) {
        let file = try AtomicFile(destination: final, encryptingTo: recipients, temporaryName: temporary.lastPathComponent)
        do {
            let dumpOutput = Pipe(), listingInput = Pipe()
            let feed = EarlyExitFeed(listingInput)
            let magic = MagicCheck()
            async let listing = pgRestore.run(["--list"], database: database, applicationName: "nightshift-dump check", inputPipe: listingInput)
            async let pumped: Void = PipePump.drain(dumpOutput) { block in
                magic.feed(block)
                feed.write(block)
                try file.write(block)
            }
            let counts: [String: Int64]
            do {
                counts = try await pgDumpInOneSnapshot(pgDump, output: .pipe(dumpOutput), applicationName: applicationName)
                try await pumped
            } catch {
                feed.close()
                _ = try? await pumped
                _ = try? await listing
                throw error
            }
            feed.close()
            let checked = try await listing
            guard magic.isArchive else { throw DumpError.toolFailed(name: "pg_dump", status: 0, message: "its output is not a custom-format archive") }
            guard checked.status == 0 else {
                throw DumpError.toolFailed(name: "pg_restore --list", status: checked.status, message: checked.errors)
            }
            let sha256 = try file.commit()
            return (counts, Int64(file.size), sha256)
        } catch {
            file.discard()
            throw error
        }
    }

    /// pg_dump's exit status is not enough (see ``ArchiveCompleteness``): the archive it wrote
    /// must be on disk and whole. An archive format newer than the check knows is read to its
    /// end by pg_restore instead.
    private func requireWhole(_ file: URL, _ pgRestore: PostgresTool) async throws {
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DumpError.file("cannot open the dump \(file.path): \(String(cString: strerror(errno)))") }
        let synced = fsync(descriptor) == 0 ? nil : String(cString: strerror(errno))
        close(descriptor)
        if let synced { throw DumpError.incompleteArchive(path: file.path, reason: "it could not be synced to disk (\(synced))") }
        let verdict: ArchiveCompleteness.Verdict
        do { verdict = try ArchiveCompleteness.check(file) } catch {
            throw DumpError.file("cannot read the dump \(file.path) to check it: \(error)")
        }
        switch verdict {
        case .complete:
            return
        case .incomplete(let reason):
            throw DumpError.incompleteArchive(path: file.path, reason: reason)
        case .unknownFormat(let format):
            logger.notice("the dump's \(format) is newer than the completeness check knows: pg_restore reads it whole instead")
            let read = try await pgRestore.run(["--file=/dev/null", file.path], database: database, applicationName: "nightshift-dump check")
            guard read.status == 0 else { throw DumpError.incompleteArchive(path: file.path, reason: read.errors) }
        }
    }

    enum DumpOutput {
        case file(URL)
        case pipe(Pipe)
    }

    /// Opens a REPEATABLE READ transaction, exports its snapshot, runs pg_dump on that snapshot
    /// while counting every table's rows in it, and closes the transaction when pg_dump ends.
    /// The counts are therefore exactly the rows in the dump.
    private func pgDumpInOneSnapshot(_ pgDump: PostgresTool, output: DumpOutput, applicationName: String) async throws -> [String: Int64] {
        let session = LibPQSession(url: database, applicationName: applicationName + " (snapshot)")
        defer { session.close() }
        let snapshot = try await session.run { connection in
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return try connection.execute("SELECT pg_export_snapshot()").string(0, 0)
        }
        let dumped: Task<PostgresTool.Output, any Error>
        switch output {
        case .file(let file):
            dumped = Task { try await pgDump.run(["--format=custom", "--snapshot=\(snapshot)", "--file=\(file.path)"],
                                                 database: database, applicationName: applicationName) }
        case .pipe(let pipe):
            dumped = Task { try await pgDump.run(["--format=custom", "--snapshot=\(snapshot)"],
                                                 database: database, applicationName: applicationName, outputPipe: pipe) }
        }
        let counts: [String: Int64]
        do { counts = try await session.run { connection in try TableCounts.count(on: connection) } } catch {
            dumped.cancel()
            _ = try? await dumped.value
            throw error
        }
        let output = try await withTaskCancellationHandler { try await dumped.value } onCancel: { dumped.cancel() }
        _ = try? await session.run { connection in _ = try connection.execute("COMMIT") }
        guard output.status == 0 else { throw DumpError.toolFailed(name: "pg_dump", status: output.status, message: output.errors) }
        return counts
    }

    /// The dump's name, by the second (seed 004's layout). Two dumps of a branch in one second
    /// (a manual one right after another) would share it, and the second would overwrite the
    /// first's file and object: the name moves on a second until no file and no live history
    /// row holds it. Dumps of a branch run one at a time (the branch's lock), so the check
    /// does not race with another dump of the same branch (see ``dump(type:attempt:at:)``).
    private func freeName(at instant: Date, encrypted: Bool) async throws -> DumpName {
        var moment = instant
        for _ in 0..<120 {
            let name = DumpName(branch: settings.branch.id, at: moment, in: settings.branch.timeZone, encrypted: encrypted)
            let file = name.localFile(in: settings.dumpDirectory).path
            var taken = FileManager.default.fileExists(atPath: file)
            if !taken, let history { taken = try await history.holdsName(objectKey: name.objectKey, localPath: file) }
            if !taken { return name }
            moment = moment.addingTimeInterval(1)
        }
        throw DumpError.file("no free dump name within two minutes of \(instant): remove stale rows or files in \(settings.dumpDirectory.path)")
    }

    /// A retry: an earlier attempt's pg_dump may still be running (a child outlives a
    /// SIGKILLed worker), and its temporary file, its object or its open upload may be there.
    /// Stops the one, removes the others, and marks a row left `running` failed.
    private func cleanUpInterrupted(_ attempt: Attempt) async throws {
        guard let history else { return }
        try await history.client.query("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name LIKE \("nightshift-dump job \(attempt.jobID) attempt %") AND pid <> pg_backend_pid()
            """, logger: logger)
        let folder = settings.dumpDirectory
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where file.hasPrefix(".") && file.contains(".tmp-job\(attempt.jobID)-") {
            unlink(folder.appendingPathComponent(file).path)
        }
        for record in try await history.closeUnfinished(jobID: attempt.jobID, before: attempt.number) {
            var removed = 0
            if let key = record.objectKey, let store {
                removed += try await store.abortIncompleteUploads(prefix: key)
                if try await store.head(key) != nil {
                    try await store.delete([key])
                    removed += 1
                }
            }
            if let path = record.localPath, unlink(path) == 0 { removed += 1 }
            if removed > 0 {
                logger.warning("cleaned up after an earlier attempt of this dump",
                               metadata: ["backup_id": "\(record.id)", "attempt": "\(record.attempt ?? 0)", "removed": "\(removed)"])
            }
        }
    }

    /// Local dumps older than BACKUP_RETENTION_DAYS, by the time in their name; never `keeping`.
    private func removeExpiredLocalDumps(keeping current: URL) {
        let folder = settings.dumpDirectory
        let cutoff = Date().addingTimeInterval(-Double(settings.dumps.localRetentionDays) * 86_400)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where file.hasPrefix(settings.branch.id + "_") && file != current.lastPathComponent {
            if let time = DumpName.time(of: file, in: settings.branch.timeZone), time < cutoff {
                unlink(folder.appendingPathComponent(file).path)
                logger.info("removed a local dump past BACKUP_RETENTION_DAYS", metadata: ["file": "\(file)"])
            }
        }
    }

    private func makeFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DumpError.file("cannot create folder \(folder.path): \(error.localizedDescription); check that BACKUP_DIR is writable")
        }
    }

    private func moveIntoPlace(_ temporary: URL, _ final: URL) throws {
        guard rename(temporary.path, final.path) == 0 else {
            throw DumpError.file("cannot move the dump into place at \(final.path): \(String(cString: strerror(errno)))")
        }
        let folder = open(final.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { fsync(folder); close(folder) }
    }
}

/// Whether a stream starts as a custom-format archive does (`PGDMP`).
final class MagicCheck: @unchecked Sendable {
    private var head: [UInt8] = []
    func feed(_ block: UnsafeRawBufferPointer) {
        if head.count < 5 { head += block.prefix(5 - head.count) }
    }
    var isArchive: Bool { head == Array("PGDMP".utf8) }
}
