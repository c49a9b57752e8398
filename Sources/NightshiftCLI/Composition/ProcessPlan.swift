import JobQueue

/// What one long-running process runs, as its command asked: a worker, the maintenance
/// services, a scheduler — any mix, over one database client.
struct ProcessPlan: Sendable {
    var worker: WorkerConfiguration?
    var maintenance: Maintenance?
    var scheduler = false
    /// The HTTP API (`serve`).
    var api = false
    /// Extra pooled connections the services need beyond the defaults.
    var maximumConnections = 10

    struct Maintenance: Sendable {
        var promoter = Promoter.Configuration()
        var rescuer = Rescuer.Configuration()
        var pruner = Pruner.Configuration()
    }
}
