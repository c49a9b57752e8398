import BackOffice
import JobQueue
import ObjectStorage
import Logging
import Monitoring
import Scheduler

/// What the API's routes read and write, given by the process's composition root.
public struct APIDependencies: Sendable {
    public var store: JobStore
    /// `backup_history`: the dumps and drills the API and the Backups pages list.
    public var backups: BackupHistory
    /// `extratos`: the closed months.
    public var extratos: ExtratoStore
    /// The month backups' checker (the service endpoints ask it whether a valid backup exists).
    public var backupVerifier: BackupVerifier
    /// When each safety net last succeeded: the home page's reading (the gauges read the same).
    public var safetyNets: SafetyNetReadings
    /// The kinds this build runs: enqueues are checked against them.
    public var registry: JobRegistry
    public var schedules: [Schedule]
    public var backOffice: BackOfficeSettings
    /// The schedules' unique-key namespace, so the service endpoints use the scheduler's keys.
    public var keyNamespace: String?
    public var metrics: MetricsRegistry?
    /// Where dumps and metrics go (the bucket, or the local folder standing for it): the
    /// dashboard's Branches page reads it.
    public var objectStore: (any ObjectStore)?
    public var logger: Logger

    public init(store: JobStore, registry: JobRegistry, schedules: [Schedule], backOffice: BackOfficeSettings,
                keyNamespace: String?, metrics: MetricsRegistry?, objectStore: (any ObjectStore)? = nil, logger: Logger) {
        self.store = store
        backups = BackupHistory(client: store.client, logger: logger)
        extratos = ExtratoStore(client: store.client, logger: logger)
        backupVerifier = BackupVerifier(client: store.client, baseDirectory: backOffice.backupDirectory,
                                        encryption: backOffice.encryption, logger: logger)
        safetyNets = SafetyNetReadings(store: store, timeZone: backOffice.timeZone)
        self.registry = registry
        self.schedules = schedules
        self.backOffice = backOffice
        self.keyNamespace = keyNamespace
        self.metrics = metrics
        self.objectStore = objectStore
        self.logger = logger
    }

    /// `[namespace:]kind:label`, the key the scheduler gives the same work.
    func uniqueKey(_ kind: String, _ label: String) -> String {
        [keyNamespace, kind, label].compactMap { $0 }.joined(separator: ":")
    }
}
