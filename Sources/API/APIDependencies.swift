import BackOffice
import JobQueue
import Logging
import Monitoring
import Scheduler

/// What the API's routes read and write, given by the process's composition root.
public struct APIDependencies: Sendable {
    public var store: JobStore
    /// The kinds this build runs: enqueues are checked against them.
    public var registry: JobRegistry
    public var schedules: [Schedule]
    public var backOffice: BackOfficeSettings
    /// The schedules' unique-key namespace, so the service endpoints use the scheduler's keys.
    public var keyNamespace: String?
    public var metrics: MetricsRegistry?
    public var logger: Logger

    public init(store: JobStore, registry: JobRegistry, schedules: [Schedule], backOffice: BackOfficeSettings,
                keyNamespace: String?, metrics: MetricsRegistry?, logger: Logger) {
        self.store = store
        self.registry = registry
        self.schedules = schedules
        self.backOffice = backOffice
        self.keyNamespace = keyNamespace
        self.metrics = metrics
        self.logger = logger
    }

    /// `[namespace:]kind:label`, the key the scheduler gives the same work.
    func uniqueKey(_ kind: String, _ label: String) -> String {
        [keyNamespace, kind, label].compactMap { $0 }.joined(separator: ":")
    }
}
