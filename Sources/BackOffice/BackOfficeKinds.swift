import Database
import JobQueue
import ObjectStorage

/// The back office's job kinds, registered with the settings and stores they run with.
public enum BackOfficeKinds {
    /// Where backups go: `store` takes dumps and metrics (the bucket, or a folder in local-only
    /// mode); `offsite` is the bucket alone, where month backups are copied when there is one.
    public struct Stores: Sendable {
        public var store: any ObjectStore
        public var offsite: (any ObjectStore)?
        public init(store: any ObjectStore, offsite: (any ObjectStore)?) {
            self.store = store
            self.offsite = offsite
        }
    }

    public static func register(in registry: inout JobRegistry, settings: BackOfficeSettings, database: DatabaseURL,
                                stores: Stores) throws(JobRegistryError) {
        try registry.register(BackupMonthJob(settings: settings, database: database, offsite: stores.offsite))
        try registry.register(GenerateExtratoJob(settings: settings))
        try registry.register(NightlyDumpJob(settings: settings, database: database, store: stores.store))
        try registry.register(RestoreDrillJob(settings: settings, database: database, store: stores.store))
        try registry.register(PushMetricsJob(settings: settings, store: stores.store))
        try registry.register(PruneCloudJob(settings: settings, store: stores.store))
    }
}
