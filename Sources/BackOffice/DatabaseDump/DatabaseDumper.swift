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
        let key = Self.lockKey(branch: settings.branch.id)
        return try await history.client.withConnection { connection in
            try await AdvisoryLockWait.acquire("pg_try_advisory_lock", key: key, on: connection, logger: logger)
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

    /// The branch's dump lock (`pg_advisory_lock(hashtext(key))`), held by whoever dumps it.
    static func lockKey(branch: String) -> String { "nightshift-dump:\(branch)" }

    private func dumpAlone(type: BackupRecord.Kind, attempt: Attempt?, at instant: Date, progress: any WorkProgressReporting) async throws -> BackupRecord {
        if let attempt { try await cleanUpInterrupted(attempt) }
        try await sweepAbandoned()
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
            let tables: [String: TableContent], size: Int64, sha256: String
            let watcher = FileGrowthWatcher.start(temporary, expected: previousSize, step: "pg_dump", progress: progress)
            defer { watcher.cancel() }
            if encryption.isOn {
                (tables, size, sha256) = try await encryptedDump(pgDump, pgRestore, to: final, temporary: temporary,
                                                                 recipients: encryption.recipients, applicationName: applicationName)
                phases.lap("dump+encrypt+check")
            } else {
                (tables, size, sha256) = try await plainDump(pgDump, pgRestore, to: final, temporary: temporary,
                                                             applicationName: applicationName, phases: &phases)
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
            if let id, let history, try await !history.complete(id, sizeBytes: size, sha256: sha256, tables: tables) {
                throw DumpError.file("backup \(id) was closed by a later attempt of its job while this one ran (its worker had lost the job): this dump is removed")
            }
            // Recorded: from here on nothing undoes the dump.
            logger.info("dump completed", metadata: [
                "file": "\(final.path)", "bytes": "\(size)", "tables": "\(tables.count)", "object": "\(store.map { _ in name.objectKey } ?? "-")",
                "seconds": "\(phases.summary)",
            ])
            await removeExpiredLocalDumps(keeping: final)
            if let id, let record = try? await history?.record(id) { return record }
            return BackupRecord(id: id ?? 0, type: type, branch: name.branch, startedAt: instant, finishedAt: Date(), status: .completed,
                                sizeBytes: size, sha256: sha256, objectKey: store.map { _ in name.objectKey }, localPath: final.path,
                                verificationStatus: nil, verifiedAt: nil, verificationDetails: nil, tableCounts: tables.mapValues(\.count),
                                retentionUntil: instant.addingTimeInterval(30 * 86_400), error: nil, jobID: nil, attempt: nil,
                                encryption: encryption.isOn ? BackupEncryption.format : nil,
                                tableDigests: tables.mapValues(\.digest), digestVersion: DigestVersion.current.rawValue)
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

    private func makeFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DumpError.file("cannot create folder \(folder.path): \(error.localizedDescription); check that BACKUP_DIR is writable")
        }
    }
}
