import Database
import Foundation
import JobQueue
import Logging
import PostgresNIO
import Scheduler
import ServiceLifecycle

/// The composition root of a long-running process: builds the services a ``ProcessPlan`` asks
/// for into one `ServiceGroup` — the database client first, then the start-up check, then the
/// worker, maintenance, scheduler — and runs it until SIGTERM or SIGINT. Shutdown runs in
/// reverse, so the client closes last. Adding a service is adding it here.
enum ProcessAssembly {
    static func run(_ plan: ProcessPlan, settings: Settings) async throws {
        let url = try settings.requireDatabase()
        let logger = Log.make("nightshift")
        let client = DatabaseClient.make(url, maximumConnections: plan.maximumConnections, logger: Log.make("postgres"))
        let events = JobEvents([JobEventLogger(logger: logger)])
        let store = JobStore(client: client, logger: logger, events: events)
        let gate = StartupGate()

        var services: [any Service] = []
        let registry = try JobKindCatalog.registry(settings, database: url)
        if var worker = plan.worker {
            worker.errorText = { ErrorText.describe($0, url: url) }
            services.append(try Worker(configuration: worker, database: url, registry: registry, store: store, logger: logger))
            if settings.schedules.metricsPush, worker.queues.contains(NewJob.defaultQueue) {
                // Seed 004's start-up catch-up: the metrics of the last 14 days that are missing.
                services.append(StartupJobs(jobs: [MetricsCatchUp.job(settings)], store: store, logger: logger))
            }
        }
        if let maintenance = plan.maintenance {
            services.append(Promoter(configuration: maintenance.promoter, store: store, logger: logger))
            services.append(Rescuer(configuration: maintenance.rescuer, store: store, logger: logger))
            services.append(Pruner(configuration: maintenance.pruner, store: store, logger: logger))
        }
        if plan.scheduler {
            let schedules = try ScheduleCatalog.schedules(settings)
            // Refuse to start with a schedule whose jobs this build would discard every night.
            try ScheduleCheck.validate(schedules, against: registry)
            services.append(SchedulerService(schedules: schedules, store: store, logger: logger))
        }

        let running = RunningClient(client)
        let check = StartupCheck(client: running, url: url, requireSchema: true, gate: gate, logger: logger)
        let all: [any Service] = [running, check] + services.map { Gated(service: $0, gate: gate) }
        let group = ServiceGroup(configuration: .init(
            services: all.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
