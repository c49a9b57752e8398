import Foundation
import Logging
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// What a drill killed midway leaves (break-dumps 3): its scratch database
/// (`nightshift_drill_{backup}_{n}`, a full copy of the data) and the store's copy it downloaded
/// or the plaintext it decrypted (`.restore-{backup}-{pid}[-plain].dump` in the dump folder: a
/// plaintext copy must not stay on a machine meant to hold only ciphertext). Removed at the next
/// drill's start, of any backup no drill is using now (its in-use lock is free, so no live drill
/// anywhere restores it) — and, for files, only when the process named in them is gone (a
/// `backups restore` in progress holds no in-use lock).
struct DrillLeftovers {
    let history: BackupHistory
    let dumpDirectory: URL
    let logger: Logger

    func sweep() async throws {
        var found: [(name: String, id: Int64)] = []
        for try await name in try await history.client.query("""
            SELECT datname FROM pg_database WHERE datname ~ '^nightshift_drill_[0-9]+_[0-9]+$'
            """, logger: logger).decode(String.self) {
            if let id = Self.backupID(in: name, after: "nightshift_drill_") { found.append((name, id)) }
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
            for (name, id) in databases where free.contains(id) {
                try await history.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"), logger: logger)
                logger.warning("dropped a killed drill's scratch database", metadata: ["database": "\(name)"])
            }
            for (file, id) in files where free.contains(id) {
                if unlink(folder.appendingPathComponent(file).path) == 0 {
                    logger.warning("removed a killed drill's copy of a dump", metadata: ["file": "\(file)"])
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
