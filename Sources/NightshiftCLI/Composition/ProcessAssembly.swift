import API
import Database
import Foundation
import JobQueue
import Logging
import Monitoring
import PostgresNIO
import Scheduler
import ServiceLifecycle

/// The composition root of a long-running process: builds the services a ``ProcessPlan`` asks
/// for into one `ServiceGroup` — the database client first, then the start-up check, then the
/// worker, maintenance, scheduler, API and metrics — and runs it until SIGTERM or SIGINT.
/// Shutdown runs in reverse, so the client closes last. Adding a service is adding it here.
enum ProcessAssembly {
    static func run(_ plan: ProcessPlan, settings: Settings, onAPIRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let url = try settings.requireDatabase()
        let logger = Log.make("nightshift")
        let client = DatabaseClient.make(url, maximumConnections: plan.maximumConnections, logger: Log.make("postgres"))
        let runsJobs = plan.worker != nil || plan.maintenance != nil
        // Job runners wait for the start-up check (and fail without a database); an API-only
        // process starts at once and reports the database on /readyz.
        let gated = runsJobs || plan.scheduler
        if !gated {
            // An API-only process starts without a database (it says so on /readyz), but not
            // with a database it can never open: a wrong name, password or TLS mode stops it.
            do { try await ConnectionProbe.check(url, logger: logger) } catch {
                if error.isPermanent { throw error }
                logger.warning("database not reachable yet; serving, and /readyz says so", metadata: ["error": "\(error)"])
            }
        }
        let metrics = plan.api || settings.metricsPort != nil ? MetricsRegistry() : nil
        var subscribers: [any JobEventSubscriber] = [JobEventLogger(logger: logger)]
        var services: [any Service] = []
        let registry = try JobKindCatalog.registry(settings, database: url)
        if let metrics {
            let jobMetrics = JobMetrics(registry: metrics)
            jobMetrics.prime(kinds: registry.kinds, queues: plan.worker?.queueNames ?? [NewJob.defaultQueue])
            subscribers.append(jobMetrics)
        }
        if runsJobs, let webhook = settings.alertWebhook {
            let alerts = AlertWebhook(url: webhook, logger: logger)
            subscribers.append(alerts)
            services.append(alerts)
        }
        let store = JobStore(client: client, logger: logger, events: JobEvents(subscribers))

        if var worker = plan.worker {
            worker.errorText = { ErrorText.describe($0, url: url) }
            services.append(try Worker(configuration: worker, database: url, registry: registry, store: store, logger: logger))
            if settings.schedules.metricsPush, worker.queueNames.contains(NewJob.defaultQueue) {
                // Seed 004's start-up catch-up: the metrics of the last 14 days that are missing.
                services.append(StartupJobs(jobs: [MetricsCatchUp.job(settings)], store: store, logger: logger))
            }
        }
        if let maintenance = plan.maintenance {
            services.append(Promoter(configuration: maintenance.promoter, store: store, logger: logger))
            services.append(Rescuer(configuration: maintenance.rescuer, store: store, logger: logger))
            services.append(Pruner(configuration: maintenance.pruner, store: store, logger: logger))
        }
        let schedules = try ScheduleCatalog.schedules(settings)
        if plan.scheduler {
            // Refuse to start with a schedule whose jobs this build would discard every night.
            try ScheduleCheck.validate(schedules, against: registry)
            var configuration = SchedulerService.Configuration()
            if let metrics {
                let tick = metrics.gauge("nightshift_scheduler_last_tick_timestamp_seconds", [])
                configuration.onPass = { tick.record($0.timeIntervalSince1970) }
                // Each schedule's series from 0, so the first disagreement is an increase.
                for schedule in schedules where schedule.enabled {
                    metrics.counter("nightshift_scheduler_definition_conflicts_total", [("schedule", schedule.name)]).increment(by: 0)
                }
                configuration.onConflict = { name in
                    metrics.counter("nightshift_scheduler_definition_conflicts_total", [("schedule", name)]).increment()
                }
            }
            services.append(SchedulerService(schedules: schedules, configuration: configuration, store: store, logger: logger))
        }
        var ungated: [any Service] = []
        if let metrics {
            let gauges = StateGauges(client: client, registry: metrics, studioTimeZone: settings.backOffice.timeZone,
                                     branch: settings.backOffice.branch.id, logger: logger)
            if gated { services.append(gauges) } else { ungated.append(gauges) }
        }
        if plan.api {
            let authority = try await TokenAuthority(secret: settings.jwtSecret, previousSecret: settings.jwtPreviousSecret)
            let dependencies = APIDependencies(store: store, registry: registry, schedules: schedules, backOffice: settings.backOffice,
                                               keyNamespace: settings.scheduler.keyNamespace, metrics: metrics,
                                               objectStore: StoreCatalog.stores(settings, logger: logger).store, logger: logger)
            ungated.append(try APIServer(settings: settings.api, authority: authority, dependencies: dependencies)
                .application(onRunning: onAPIRunning))
        } else if let port = settings.metricsPort, let metrics {
            services.append(MetricsServer(registry: metrics, host: settings.metricsHost, port: port, logger: logger).application())
        }

        let running = RunningClient(client)
        let gate = StartupGate()
        let check = StartupCheck(client: running, url: url, requireSchema: true, gate: gate, logger: logger)
        let all: [any Service] = [running] + (gated ? [check] : []) + ungated + services.map { Gated(service: $0, gate: gate) }
        let group = ServiceGroup(configuration: .init(
            services: all.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
