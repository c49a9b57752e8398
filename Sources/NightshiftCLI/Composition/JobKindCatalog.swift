import BackOffice
import Database
import JobQueue
import Logging

/// Every job kind this build runs, registered once: what workers run, what the scheduler and
/// enqueuers check jobs against.
enum JobKindCatalog {
    static func registry(_ settings: Settings, database: DatabaseURL) throws -> JobRegistry {
        var registry = JobRegistry()
        try registry.register(NoopJob())
        try registry.register(LimitedNoopJob())
        try registry.register(DemoSleepJob())
        try registry.register(DemoFlakyJob())
        try BackOfficeKinds.register(in: &registry, settings: settings.backOffice, database: database,
                                     stores: StoreCatalog.stores(settings, logger: Log.make("nightshift")))
        try Launch.extraKinds(&registry)
        return registry
    }
}
