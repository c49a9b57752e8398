import Foundation
import Logging
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// What a drill killed midway leaves (break-dumps 3): its scratch database
/// (`nightshift_drill_{installation}_{backup}_{n}`, a full copy of the data) and the store's copy it downloaded
/// or the plaintext it decrypted (`.restore-{backup}-{pid}[-plain].dump` in the dump folder: a
/// plaintext copy must not stay on a machine meant to hold only ciphertext). Removed at the next
/// drill's start, of any backup no drill is using now (its in-use lock is free, so no live drill
/// anywhere restores it) — and, for files, only when the process named in them is gone (a
/// `backups restore` in progress holds no in-use lock).
struct DrillLeftovers {
    let history: BackupHistory
    let dumpDirectory: URL
    let logger: Logger

    /// `nightshift_drill_{oid}_`: the oid of this installation's queue database, so a drill's
    /// scratch database names its installation as well as its backup (ids are per database);
    /// the sweep takes only its own installation's (break-office2 10).
    static func scratchPrefix(_ history: BackupHistory) async throws -> String {
        var oid: Int64 = 0
        for try await value in try await history.client.query("SELECT oid::int8 FROM pg_database WHERE datname = current_database()",
                                                              logger: history.logger).decode(Int64.self) { oid = value }
        return "nightshift_drill_\(oid)_"
    }

    func sweep() async throws {
        var found: [(name: String, id: Int64)] = []
        let prefix = try await Self.scratchPrefix(history)
        for try await name in try await history.client.query("""
            SELECT datname FROM pg_database WHERE starts_with(datname, \(prefix)) AND datname ~ '^nightshift_drill_[0-9]+_[0-9]+_[0-9]+$'
            """, logger: logger).decode(String.self) {
            if let id = Self.backupID(in: name, after: prefix) { found.append((name, id)) }
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dumpDirectory.path)) ?? []).compactMap { file -> (String, Int64)? in
            guard file.hasPrefix(".restore-"), file.hasSuffix(".dump"), let id = Self.backupID(in: file, after: ".restore-"),
                  let pid = Self.pid(in: file), !Self.alive(pid) else { return nil }
            return (file, id)
        }
        let databases = found
        guard !databases.isEmpty || !files.isEmpty else { return }
        let (history, folder, logger) = (history, dumpDirectory, logger)
        try await history.withRemovable(databases.map(\.id) + files.map(\.1)) { free in
            // Files first, and each removal on its own: a database another sweep dropped a moment
            // ago (or one still in use) must not keep a plaintext copy on disk.
            for (file, id) in files where free.contains(id) {
                if unlink(folder.appendingPathComponent(file).path) == 0 {
                    logger.warning("removed a killed drill's copy of a dump", metadata: ["file": "\(file)"])
                }
            }
            for (name, id) in databases where free.contains(id) {
                do {
                    try await history.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"), logger: logger)
                    logger.warning("dropped a killed drill's scratch database", metadata: ["database": "\(name)"])
                } catch {
                    logger.warning("a killed drill's scratch database was not dropped this time", metadata: ["database": "\(name)", "error": "\(error)"])
                }
            }
        }
    }

    /// The digits after `prefix` up to the next `_` or `-`.
    static func backupID(in name: String, after prefix: String) -> Int64? {
        guard name.hasPrefix(prefix) else { return nil }
        return Int64(String(name.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }))
    }

    /// `.restore-{id}-{pid}.dump` or `.restore-{id}-{pid}-plain.dump`.
    static func pid(in file: String) -> pid_t? {
        let parts = file.dropLast(5).split(separator: "-")
        guard parts.count >= 3 else { return nil }
        return pid_t(String(parts[2]))
    }

    static func alive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }
}
