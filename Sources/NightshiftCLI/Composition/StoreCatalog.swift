import BackOffice
import Logging
import ObjectStorage

/// The stores a process writes backups to, from ``Settings/StorageSettings``: the bucket when
/// `BACKUP_S3_*` is set (for dumps, metrics and month-backup copies), else the local folder
/// that stands for it (dumps and metrics; month backups then stay where they are written).
enum StoreCatalog {
    static func stores(_ settings: Settings, logger: Logger) -> BackOfficeKinds.Stores {
        if let s3 = settings.storage.s3 {
            let bucket = S3Store(configuration: s3, logger: logger)
            return BackOfficeKinds.Stores(store: bucket, offsite: bucket)
        }
        return BackOfficeKinds.Stores(store: LocalDirectoryStore(root: settings.storage.directory), offsite: nil)
    }
}
