import Foundation
import Logging
import ObjectStorage
import PostgresNIO

/// Closes `running` backup rows that no live process is making: a dump killed on its job's last
/// attempt (the rescuer discards the job, and no later attempt comes to close its row) or a
/// killed `migrate --backup-first` (no job at all). Every live dump of a branch holds the
/// branch's advisory lock for its whole run and the server drops it when the process dies, so
/// a branch whose lock this sweep can take has no dump running: its `running` rows' temporary
/// file and file are removed, then their object and upload, and only then the row is marked
/// failed with the reason (a row whose store copy could not go stays for the next sweep).
///
/// Runs at a drill's start (so a drill does not wait on a dump that died) and in each cloud
/// prune; a dump sweeps its own branch under the lock it already holds.
public struct DumpSweeper: Sendable {
    public let history: BackupHistory
    public let store: (any ObjectStore)?
    public let logger: Logger

    public init(history: BackupHistory, store: (any ObjectStore)?, logger: Logger) {
        self.history = history
        self.store = store
        self.logger = logger
    }

    public struct Result: Sendable, Equatable {
        /// Rows marked failed.
        public var closed: [Int64] = []
        /// Branches with a `running` row whose dump is alive (their lock is held).
        public var alive: [String] = []
    }

    /// Sweeps `branch`, or every branch with a `running` row.
    public func runOnce(branch: String? = nil) async throws -> Result {
        var result = Result()
        let rows = try await history.client.query("""
            SELECT DISTINCT branch FROM backup_history WHERE status = 'running' AND (\(branch)::text IS NULL OR branch = \(branch))
            ORDER BY branch
            """, logger: logger)
        var branches: [String] = []
        for try await name in rows.decode(String.self) { branches.append(name) }
        for name in branches {
            let key = DatabaseDumper.lockKey(branch: name)
            let closed: [BackupRecord]? = try await history.client.withConnection { connection in
                let taken = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(key)))", logger: logger)
                var locked = false
                for try await value in taken.decode(Bool.self) { locked = value }
                guard locked else { return nil }
                do {
                    let closed = try await DumpLeftovers.closeAbandoned(branch: name, history: history, store: store, logger: logger)
                    _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(key)))", logger: logger)
                    return closed
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(key)))", logger: logger)
                    throw error
                }
            }
            guard let closed else { result.alive.append(name); continue }
            for record in closed {
                logger.warning("a dump that no process is making any more was marked failed", metadata: [
                    "backup_id": "\(record.id)", "branch": "\(name)", "job_id": "\(record.jobID.map(String.init) ?? "-")",
                ])
                result.closed.append(record.id)
            }
        }
        return result
    }
}
