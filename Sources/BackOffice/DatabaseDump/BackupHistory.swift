import Database
import Foundation
import Logging
import PostgresNIO

/// The `backup_history` table's queries: a row per attempt, from start to completed, failed or
/// expired, and the drill's verdict.
public struct BackupHistory: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Opens the row of an attempt (status `running`). One row per job attempt: an attempt
    /// started twice (it never is) keeps its first row.
    func start(type: BackupRecord.Kind, branch: String, objectKey: String?, localPath: String,
               jobID: Int64?, attempt: Int?, encryption: String? = nil) async throws -> Int64 {
        let rows = try await client.query("""
            INSERT INTO backup_history (type, branch, object_key, local_path, job_id, attempt, encryption)
            VALUES (\(type.rawValue), \(branch), \(objectKey), \(localPath), \(jobID), \(attempt), \(encryption))
            ON CONFLICT (job_id, attempt) DO UPDATE SET started_at = backup_history.started_at
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw DumpError.file("backup_history returned no id")
    }

    /// Marks a running row completed. False when it is no longer running: a later attempt of
    /// its job closed it (this attempt had lost its worker's lease and went on regardless) and
    /// has removed, or will remove, what it made.
    func complete(_ id: Int64, sizeBytes: Int64, sha256: String, tables: [String: TableContent]) async throws -> Bool {
        let counts = String(decoding: try JSONEncoder.sorted.encode(tables.mapValues(\.count)), as: UTF8.self)
        let digests = String(decoding: try JSONEncoder.sorted.encode(tables.mapValues(\.digest)), as: UTF8.self)
        let rows = try await client.query("""
            UPDATE backup_history SET status = 'completed', finished_at = now(), size_bytes = \(sizeBytes), sha256 = \(sha256),
                                      table_counts = \(counts)::jsonb, table_digests = \(digests)::jsonb,
                                      digest_version = \(DigestVersion.current.rawValue), error = NULL
            WHERE id = \(id) AND status = 'running'
            RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Marks a running row failed; a completed one stays completed.
    func fail(_ id: Int64, error: String) async throws {
        try await client.query("""
            UPDATE backup_history SET status = 'failed', finished_at = now(), error = \(error) WHERE id = \(id) AND status = 'running'
            """, logger: logger)
    }

    /// Rows of earlier attempts of `jobID` that did not complete. Those still `running` died
    /// (a killed worker) before they could say how they ended: they are marked failed here.
    /// The caller removes what any of them left (a failed attempt may not have been able to
    /// abort its upload, say, when the store was down).
    func closeUnfinished(jobID: Int64, before attempt: Int) async throws -> [BackupRecord] {
        try await client.query("""
            UPDATE backup_history SET status = 'failed', finished_at = now(),
                   error = 'interrupted: attempt ' || attempt || ' stopped before it finished (its worker died or was restarted)'
            WHERE job_id = \(jobID) AND attempt < \(attempt) AND status = 'running'
            """, logger: logger)
        return try await records("""
            SELECT \(unescaped: Self.columns) FROM backup_history
            WHERE job_id = \(jobID) AND attempt < \(attempt) AND status = 'failed'
            """)
    }

    /// Rows of `branch` still `running`, marked failed: for the caller that holds the
    /// branch's dump lock, which every live dump of the branch holds, so these died (a worker
    /// SIGKILLed on the job's last attempt, a `migrate --backup-first` killed midway).
    /// The branch's `running` rows (only read: see ``DumpLeftovers/closeAbandoned``).
    func abandoned(branch: String) async throws -> [BackupRecord] {
        try await records("SELECT \(unescaped: Self.columns) FROM backup_history WHERE branch = \(branch) AND status = 'running' ORDER BY id")
    }

    func closeAbandoned(branch: String, ids: [Int64]) async throws -> [BackupRecord] {
        guard !ids.isEmpty else { return [] }
        return try await records("""
            UPDATE backup_history SET status = 'failed', finished_at = now(),
                   error = 'interrupted: ' || CASE WHEN job_id IS NULL THEN 'the process that made it (' || type || ')'
                                                   ELSE 'job ' || job_id || ' attempt ' || attempt END
                           || ' stopped before it finished (it died or was killed) and no process is making it any more'
            WHERE branch = \(branch) AND status = 'running' AND id = ANY(\(ids)::bigint[])
            RETURNING \(unescaped: Self.columns)
            """)
    }

    /// `verdict`: `true`, `false`, or `unverified` (an encrypted dump drilled without its identity).
    func recordVerification(_ id: Int64, verdict: String, details: String) async throws {
        try await client.query("""
            UPDATE backup_history SET verification_status = \(verdict), verified_at = now(),
                                      verification_details = \(details)::jsonb
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Runs `body` with backup `id` marked in use (a shared advisory lock, held on one
    /// connection, dropped by the server if the process dies): a prune or a local retention
    /// pass leaves its file and object alone meanwhile (``withRemovable(_:_:)``).
    public func whileInUse<T: Sendable>(_ id: Int64, _ body: @Sendable () async throws -> T) async throws -> T {
        let key = Self.useKey(id)
        return try await client.withConnection { connection in
            try await AdvisoryLockWait.acquire("pg_try_advisory_lock_shared", key: key, on: connection, logger: logger)
            do {
                let value = try await body()
                _ = try? await connection.query("SELECT pg_advisory_unlock_shared(hashtext(\(key)))", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock_shared(hashtext(\(key)))", logger: logger)
                throw error
            }
        }
    }

    /// Runs `body` with those of `ids` that no drill is using, each held exclusively until
    /// `body` returns, so a drill cannot start on one while it is being removed.
    func withRemovable<T: Sendable>(_ ids: [Int64], _ body: @Sendable (Set<Int64>) async throws -> T) async throws -> T {
        guard !ids.isEmpty else { return try await body([]) }
        return try await client.withConnection { connection in
            var free: Set<Int64> = []
            for id in Set(ids) {
                let rows = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(Self.useKey(id))))", logger: logger)
                for try await taken in rows.decode(Bool.self) where taken { free.insert(id) }
            }
            // Released on this connection before it goes back to the pool, however `body` ends.
            let unlock = { @Sendable (held: Set<Int64>) async in
                for id in held { _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(Self.useKey(id))))", logger: logger) }
            }
            do {
                let value = try await body(free)
                await unlock(free)
                return value
            } catch {
                await unlock(free)
                throw error
            }
        }
    }

    static func useKey(_ id: Int64) -> String { "nightshift-backup-in-use:\(id)" }

    func markExpired(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await client.query("""
            UPDATE backup_history SET status = 'expired' WHERE id = ANY(\(ids)::bigint[]) AND status = 'completed'
            """, logger: logger)
    }

    // MARK: - Reading

    /// Whether any dump, whatever its status, has had this object key or file. A failed one
    /// counts too: a later attempt of its job cleans up under its name (``closeUnfinished``), and
    /// an attempt that lost its worker's lease may go on as a zombie and clean up under it too;
    /// neither must ever find a newer dump there.
    func holdsName(objectKey: String, localPath: String) async throws -> Bool {
        let rows = try await client.query("""
            SELECT EXISTS (SELECT 1 FROM backup_history WHERE object_key = \(objectKey) OR local_path = \(localPath))
            """, logger: logger)
        for try await taken in rows.decode(Bool.self) { return taken }
        return false
    }

    /// The newest row of each of these local files, by path.
    /// The newest row of each local file, and whether its `retention_until` keeps the local copy:
    /// still ahead AND raised above the column's default (`started_at` + 30 days, migration
    /// 0005), so the default does not outlive BACKUP_RETENTION_DAYS on local disk (seed 004).
    func localRows(paths: [String]) async throws -> [String: (id: Int64, retentionUntil: Date, keeps: Bool)] {
        var rows: [String: (id: Int64, retentionUntil: Date, keeps: Bool)] = [:]
        for try await (path, id, until, keeps) in try await client.query("""
            SELECT DISTINCT ON (local_path) local_path, id, retention_until,
                   retention_until > now() AND retention_until > started_at + interval '30 days'
            FROM backup_history
            WHERE local_path = ANY(\(paths)::text[]) ORDER BY local_path, id DESC
            """, logger: logger).decode((String, Int64, Date, Bool).self) {
            rows[path] = (id, until, keeps)
        }
        return rows
    }

    public func record(_ id: Int64) async throws -> BackupRecord? {
        try await records("SELECT \(unescaped: Self.columns) FROM backup_history WHERE id = \(id)").first
    }

    /// Newest first.
    public func list(branch: String? = nil, status: BackupRecord.Status? = nil, limit: Int = 50) async throws -> [BackupRecord] {
        try await records("""
            SELECT \(unescaped: Self.columns) FROM backup_history
            WHERE (\(branch)::text IS NULL OR branch = \(branch)) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY started_at DESC, id DESC
            LIMIT \(max(1, min(limit, 10_000)))
            """)
    }

    /// Whether a dump of the branch is being made now: a `running` row started in the last six
    /// hours. Rows of dumps that died are closed by ``DumpSweeper`` (a drill runs it first), so
    /// this reads a live dump; the six hours (the kind's timeout) are a last guard.
    public func dumpInProgress(branch: String) async throws -> Bool {
        let rows = try await client.query("""
            SELECT EXISTS (SELECT 1 FROM backup_history WHERE branch = \(branch) AND status = 'running'
                                                         AND started_at > now() - interval '6 hours')
            """, logger: logger)
        for try await running in rows.decode(Bool.self) { return running }
        return false
    }

    /// The newest completed backup of a branch.
    public func latestCompleted(branch: String) async throws -> BackupRecord? {
        try await list(branch: branch, status: .completed, limit: 1).first
    }

    static let columns = """
        id, type, branch, started_at, finished_at, status, size_bytes, sha256, object_key, local_path,
        verification_status, verified_at, verification_details::text, coalesce(table_counts, '{}')::text, retention_until,
        error, job_id, attempt, encryption, coalesce(table_digests, '{}')::text, digest_version::int4
        """

    private func records(_ query: PostgresQuery) async throws -> [BackupRecord] {
        var result: [BackupRecord] = []
        for try await row in try await client.query(query, logger: logger) {
            let (id, type, branch, startedAt, finishedAt, status, size, sha, key, path) =
                try row.decode((Int64, String, String, Date, Date?, String, Int64?, String?, String?, String?).self)
            let cells = row.makeRandomAccess()
            let counts = try cells[13].decode(String.self)
            result.append(BackupRecord(
                id: id, type: BackupRecord.Kind(rawValue: type) ?? .manual, branch: branch, startedAt: startedAt,
                finishedAt: finishedAt, status: BackupRecord.Status(rawValue: status) ?? .failed, sizeBytes: size,
                sha256: sha, objectKey: key, localPath: path, verificationStatus: try cells[10].decode(String?.self),
                verifiedAt: try cells[11].decode(Date?.self), verificationDetails: try cells[12].decode(String?.self),
                tableCounts: (try? JSONDecoder().decode([String: Int64].self, from: Data(counts.utf8))) ?? [:],
                retentionUntil: try cells[14].decode(Date.self), error: try cells[15].decode(String?.self),
                jobID: try cells[16].decode(Int64?.self), attempt: try cells[17].decode(Int?.self),
                encryption: try cells[18].decode(String?.self),
                tableDigests: (try? JSONDecoder().decode([String: String].self, from: Data(try cells[19].decode(String.self).utf8))) ?? [:],
                digestVersion: try cells[20].decode(Int32?.self).map(Int.init)))
        }
        return result
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
