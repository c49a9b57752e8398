import BackOffice
import Logging
import ObjectStorage

/// The stores a process writes backups to, from ``Settings/StorageSettings``: the bucket when
/// `BACKUP_S3_*` is set, else the local folder that stands for it (BACKUP_STORE_DIR, meant to
/// be another disk) — for dumps, metrics and the month backups' copies alike (break-office2 3:
/// a closed month's CSV was left on one disk only).
enum StoreCatalog {
    static func stores(_ settings: Settings, logger: Logger) -> BackOfficeKinds.Stores {
        if let s3 = settings.storage.s3 {
            let bucket = S3Store(configuration: s3, logger: logger)
            return BackOfficeKinds.Stores(store: bucket, offsite: bucket)
        }
        let folder = LocalDirectoryStore(root: settings.storage.directory)
        return BackOfficeKinds.Stores(store: folder, offsite: folder)
    }
}
