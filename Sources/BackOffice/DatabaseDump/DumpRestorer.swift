import Database
import Foundation
import Logging
import NightshiftCore
import ObjectStorage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Gets a recorded dump back and restores it: from the local file when it is there, else
/// downloaded from the store; checked against the SHA-256 history recorded before anything is
/// restored. `nightshift backups restore` and the restore drill both go through here.
public struct DumpRestorer: Sendable {
    public let settings: BackOfficeSettings
    public let store: (any ObjectStore)?
    public let logger: Logger

    public init(settings: BackOfficeSettings, store: (any ObjectStore)?, logger: Logger) {
        self.settings = settings
        self.store = store
        self.logger = logger
    }

    /// A dump file ready to restore, and whether it is a download to remove afterwards.
    public struct Fetched: Sendable {
        public var file: URL
        public var downloaded: Bool
        /// Set when the local file was damaged and the store's copy was fetched instead: what
        /// was wrong with it (the drill's report and `backups restore` say so).
        public var note: String? = nil
        public func discard() { if downloaded { unlink(file.path) } }
    }

    /// The dump of `record`, verified, and decrypted (into a temporary file) when it is
    /// encrypted and `decrypt` is set. Throws ``DumpError/checksumMismatch(path:expected:actual:)``
    /// for a file that is not the one recorded (flipped bytes, truncation),
    /// ``DumpError/notFound(_:)`` when neither the file nor the object is there, and
    /// ``BackupEncryptionError`` when it is encrypted and cannot be opened here.
    public func fetch(_ record: BackupRecord, decrypt: Bool = true) async throws -> Fetched {
        let stored = try await fetchStored(record)
        guard record.encryption != nil, decrypt else { return stored }
        guard settings.encryption.canDecrypt else {
            stored.discard()
            throw BackupEncryptionError.noIdentity(file: record.localPath ?? record.objectKey ?? "backup \(record.id)")
        }
        let plain = settings.dumpDirectory.appendingPathComponent(".restore-\(record.id)-\(getpid())-plain.dump")
        defer { stored.discard() }
        try EncryptedFile.decrypt(stored.file, to: plain, identities: settings.encryption.identities)
        return Fetched(file: plain, downloaded: true, note: stored.note)
    }

    private func fetchStored(_ record: BackupRecord) async throws -> Fetched {
        guard record.status == .completed || record.status == .expired, let expected = record.sha256 else {
            throw DumpError.notFound("backup \(record.id) is \(record.status.rawValue): only a completed dump can be restored")
        }
        var damaged: DumpError?
        if let path = record.localPath, FileManager.default.fileExists(atPath: path) {
            let file = URL(fileURLWithPath: path)
            let (_, actual) = try FileDigest.sha256(of: file)
            if actual == expected { return Fetched(file: file, downloaded: false) }
            // A damaged local copy (truncated, a flipped byte) says nothing about the store's:
            // fetch that one and say so, rather than fail a dump that is still good off the machine.
            damaged = DumpError.checksumMismatch(path: path, expected: expected, actual: actual)
        }
        guard let key = record.objectKey, let store else {
            if let damaged { throw damaged }
            throw DumpError.notFound("backup \(record.id): its file \(record.localPath ?? "-") is gone and it has no copy in a store")
        }
        if let damaged {
            logger.warning("the local copy of the dump is damaged: fetching the store's copy", metadata: [
                "backup_id": "\(record.id)", "object": "\(key)", "error": "\(damaged)",
            ])
        }
        let download = settings.dumpDirectory.appendingPathComponent(".restore-\(record.id)-\(getpid()).dump")
        let fetched: ObjectInfo
        do { fetched = try await store.get(key, to: download) } catch ObjectStorageError.notFound {
            throw DumpError.notFound("backup \(record.id): its file is gone locally and \(key) is not in \(store)")
        }
        guard fetched.sha256 == expected else {
            unlink(download.path)
            // Both copies damaged: say so of both, not only of the store's.
            let also = damaged == nil ? "" : " (the local copy \(record.localPath ?? "-") is damaged too)"
            throw DumpError.checksumMismatch(path: "\(store)/\(key)\(also)", expected: expected, actual: fetched.sha256 ?? "?")
        }
        guard let damaged, let path = record.localPath else { return Fetched(file: download, downloaded: true) }
        // The store's copy matches: it replaces the damaged local file (rename in the dump
        // folder, atomic), so the next restore, or seed 004's `pg_restore` by hand, reads a good file.
        let note = "the local copy was damaged (\(damaged)); restored the store's copy \(key), which matches"
        if rename(download.path, path) == 0 {
            logger.warning("repaired the damaged local copy of a dump from the store's copy", metadata: [
                "backup_id": "\(record.id)", "file": "\(path)", "object": "\(key)",
            ])
            return Fetched(file: URL(fileURLWithPath: path), downloaded: false, note: note + "; the local file was repaired from it")
        }
        let reason = String(cString: strerror(errno))
        return Fetched(file: download, downloaded: true, note: note + "; the local file could not be repaired (\(reason)): it is still damaged")
    }

    /// `pg_restore` of `file` into `target`. `clean` drops the target's objects first (a
    /// database that already holds this schema); without it the target should be empty.
    /// `progress` hears how much of the file pg_restore has read, once a second.
    public func restore(_ file: URL, into target: DatabaseURL, clean: Bool, progress: any WorkProgressReporting = NoProgress()) async throws {
        let pgRestore = try PostgresTool.locate("pg_restore", in: settings.dumps.postgresBinDirectory)
        var arguments = ["--no-owner", "--no-privileges", "--exit-on-error", "--dbname=\(target.database)"]
        if clean { arguments += ["--clean", "--if-exists"] }
        let watcher = Mutex<Task<Void, Never>?>(nil)
        defer { watcher.withLock { $0?.cancel() } }
        let output = try await pgRestore.run(arguments + [file.path], database: target, applicationName: "nightshift-restore") { pid in
            let task = FileReadWatcher.start(pid, reading: file, step: "pg_restore", progress: progress)
            watcher.withLock { $0 = task }
        }
        guard output.status == 0 else { throw DumpError.toolFailed(name: "pg_restore", status: output.status, message: output.errors) }
    }
}
