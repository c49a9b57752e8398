import BackOffice
import Database
import JobQueue

/// Every job kind this build runs, registered once: what workers run, what the scheduler and
/// enqueuers check jobs against.
enum JobKindCatalog {
    static func registry(_ settings: Settings, database: DatabaseURL) throws -> JobRegistry {
        var registry = JobRegistry()
        try registry.register(NoopJob())
        try registry.register(DemoSleepJob())
        try registry.register(DemoFlakyJob())
        try BackOfficeKinds.register(in: &registry, settings: settings.backOffice, database: database)
        try Launch.extraKinds(&registry)
        return registry
    }
}
