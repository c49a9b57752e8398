import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One writer of a month's backup at a time, across processes on this machine: an exclusive
/// `flock` on `{BACKUP_DIR}/.backup_YYYY_MM.lock` (beside the month's folder, so the folder
/// holds only the backup). Two writers would both pick the same next
/// version and one manifest would lose the other's entry. It does not wait: the second writer
/// fails at once with a message, and a job retries later.
final class MonthBackupLock: Sendable {
    private let descriptor: Int32

    init(directory: URL, month: StudioMonth) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BackupError.io("cannot create folder \(directory.path): \(error.localizedDescription); check that BACKUP_DIR is writable")
        }
        let path = directory.appendingPathComponent(".backup_\(month.folderName).lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BackupError.io("cannot open \(path): \(String(cString: strerror(errno))); check that BACKUP_DIR is writable")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw BackupError.busy(month)
        }
        self.descriptor = descriptor
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
