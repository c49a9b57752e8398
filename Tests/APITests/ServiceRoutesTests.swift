import API
import BackOffice
import Database
import Monitoring
import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage
import PostgresNIO
import Testing
import TestSupport
import Yams

/// Seed 000's endpoints as its GitHub Actions layer calls them.
/// Serialized: the service endpoints enqueue into the default queue, and each test runs its own
/// worker there with its own backup folder; run together, one test's worker takes another's job.
@Suite(.serialized) struct ServiceRoutesTests {
    /// A worker for the default queue with the back office's kinds, writing to `backups`.
    func worker(_ api: APIHarness, requireBackup: Bool) throws -> WorkerHarness {
        var registry = JobRegistry()
        let settings = BackOfficeSettings(backupDirectory: api.backups, requireBackup: requireBackup)
        try BackOfficeKinds.register(in: &registry, settings: settings, database: TestDatabase.url,
                                     stores: .init(store: LocalDirectoryStore(root: api.backups.appendingPathComponent("store")), offsite: nil))
        var configuration = WorkerHarness.configuration(queue: NewJob.defaultQueue)
        configuration.workerID = "api-test/\(UUID().uuidString.prefix(6))"
        return try WorkerHarness(client: api.client, configuration: configuration, registry: registry)
    }

    @Test func createServiceMakesTheBackupThenAnswers409AndGenerateClosesTheMonth() async throws {
        try await APIHarness.with { api in
            let fixture = try await StudioFixture.make(client: api.client, rows: 40)
            let token = try await api.token(.admin, subject: "service-account")
            let worker = try worker(api, requireBackup: true)
            defer { Task { try? await worker.stop() } }
            let month = #"{"month": \#(fixture.month.month), "year": \#(fixture.month.year)"#
            let created = try await api.request(.POST, "/api/backup/create_service", token: token, json: month + #", "wait": 60}"#)
            #expect(created.status == 200, "\(created.text)")
            #expect((created.json["backup"] as? [String: Any])?["total_records"] as? Int == 40)
            #expect((created.json["job"] as? [String: Any])?["state"] as? String == "succeeded")
            let exists = try await api.request(.POST, "/api/backup/create_service", token: token, json: month + "}")
            #expect(exists.status == 409 && exists.json["error"] as? String == "conflict", "\(exists.text)")

            let generated = try await api.request(.POST, "/api/extrato/generate_service", token: token, json: month + #", "force": false, "wait": 60}"#)
            #expect(generated.status == 200, "\(generated.text)")
            #expect((generated.json["extrato"] as? [String: Any])?["contagens"] as? [String: Int] == ["pagamentos": 10, "sessoes": 10, "comissoes": 10, "gastos": 10])
            #expect(try await fixture.liveCount(api.client) == 0)
            try await worker.stop()
        }
    }

    @Test func aCloseThatFailsAnswers500WithTheJobsError() async throws {
        try await APIHarness.with { api in
            let fixture = try await StudioFixture.make(client: api.client, rows: 8)
            let token = try await api.token(.operator)
            let worker = try worker(api, requireBackup: true)
            // No backup for the month: the close refuses, as EXTRATO_REQUIRE_BACKUP says.
            let reply = try await api.request(.POST, "/api/extrato/generate_service", token: token,
                                              json: #"{"month": \#(fixture.month.month), "year": \#(fixture.month.year), "wait": 30}"#)
            try await worker.stop()
            #expect(reply.status == 500 && reply.json["error"] as? String == "job_failed", "\(reply.text)")
            #expect((reply.json["message"] as? String)?.contains("backup for \(fixture.month.slashed) missing or invalid") == true)
            #expect(try await fixture.liveCount(api.client) == 8, "nothing was closed")
        }
    }

    /// `API_SERVICE_MAX_WAIT_SECONDS`: a `wait` longer than the cap waits the cap, then says the
    /// job is still going (no worker runs here, so it is).
    @Test func aWaitPastTheCapAnswers202AtTheCap() async throws {
        try await APIHarness.with(settings: { $0.serviceMaximumWait = 1 }) { api in
            let token = try await api.token(.operator)
            let started = ContinuousClock.now
            let reply = try await api.request(.POST, "/api/extrato/generate_service", token: token, json: #"{"month": 3, "year": 2024, "wait": 120}"#)
            #expect(reply.status == 202, "\(reply.text)")
            #expect(ContinuousClock.now - started < .seconds(60), "waited the 1 s cap, not the 120 s asked")
            let job = try #require((reply.json["job"] as? [String: Any])?["id"] as? Int)
            try await api.client.query("DELETE FROM jobs WHERE id = \(job)", logger: TestDatabase.logger)
        }
    }

    @Test func withoutWaitTheJobIsReturnedAtOnceAndBadMonthsNameTheirField() async throws {
        try await APIHarness.with { api in
            let token = try await api.token(.operator)
            let enqueued = try await api.request(.POST, "/api/extrato/generate_service", token: token, json: #"{"month": 2, "year": 2024}"#)
            #expect(enqueued.status == 200 && (enqueued.json["job"] as? [String: Any])?["kind"] as? String == "generate-extrato", "\(enqueued.text)")
            if let job = (enqueued.json["job"] as? [String: Any])?["id"] as? Int {
                try await api.client.query("DELETE FROM jobs WHERE id = \(job)", logger: TestDatabase.logger)
            }
            // A month not over yet in TZ is refused (break-office2 13): this month, and a later year.
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = BackOfficeSettings(backupDirectory: api.backups, branchID: "x").timeZone
            let today = calendar.dateComponents([.year, .month], from: Date())
            let now = (year: today.year!, month: today.month!)
            for (body, field) in [(#"{"month": \#(now.month), "year": \#(now.year)}"#, "month"), (#"{"month": 2, "year": 2999}"#, "year")] {
                let reply = try await api.request(.POST, "/api/extrato/generate_service", token: token, json: body)
                #expect(reply.status == 400 && reply.json["field"] as? String == field
                            && (reply.json["message"] as? String)?.contains("has not ended") == true
                            && (reply.json["message"] as? String)?.contains("it can be closed from") == true, "\(body): \(reply.text)")
            }
            for (body, field) in [(#"{"month": 13, "year": 2026}"#, "month"), (#"{"month": 1, "year": 1999}"#, "year"),
                                  (#"{"year": 2026}"#, "month"), (#"{"month": "ten", "year": 2026}"#, "month"),
                                  (#"{"month": 1, "year": 2026, "wait": -1}"#, "wait")] {
                let reply = try await api.request(.POST, "/api/extrato/generate_service", token: token, json: body)
                #expect(reply.status == 400 && reply.json["field"] as? String == field, "\(body): \(reply.text)")
            }
        }
    }
}

/// Queues, schedules, extratos, backups, health, metrics and the document.
@Suite struct ReadRoutesTests {
    @Test func theReadModelsAreServedAsTheLibraryReturnsThem() async throws {
        try await APIHarness.with { api in
            let token = try await api.token(.viewer)
            let queue = TestDatabase.uniqueQueue("read")
            _ = try await JobStore(client: api.client, logger: TestDatabase.logger).enqueue(NewJob(kind: "noop", queue: queue))
            let queues = try await api.request(.GET, "/api/queues", token: token)
            #expect(queues.array.contains { $0["queue"] as? String == queue && ($0["counts"] as? [String: Int])?["available"] == 1 })
            let schedules = try await api.request(.GET, "/api/schedules", token: token)
            #expect(Set(schedules.array.compactMap { $0["name"] as? String })
                .isSuperset(of: ["monthly-extrato", "monthly-extrato-safety-net", "nightly-dump", "push-metrics", "prune-cloud", "restore-drill"]))
            #expect(schedules.array.first?["next_fire"] is String && schedules.array.first?["time_zone"] is String)

            let fixture = try await StudioFixture.make(client: api.client, rows: 8)
            _ = try await Transaction.run(on: api.client, logger: TestDatabase.logger) { connection in
                try await ExtratoGenerator(logger: TestDatabase.logger).close(fixture.month, force: false, jobID: nil, on: connection)
            }
            let one = try await api.request(.GET, "/api/extratos/\(fixture.month.year)/\(fixture.month.month)", token: token)
            #expect(one.status == 200 && one.json["month"] as? String == fixture.month.label && one.json["total_receita"] is String, "\(one.text)")
            #expect(try await api.request(.GET, "/api/extratos", token: token).array.contains { $0["month"] as? String == fixture.month.label })
            #expect(try await api.request(.GET, "/api/extratos/\(fixture.month.year)/13", token: token).json["field"] as? String == "month")
            #expect(try await api.request(.GET, "/api/extratos/2999/12", token: token).status == 404)

            let branch = "read-\(UUID().uuidString.prefix(6).lowercased())"
            let backup = try await BackupFactory.insert(api.client, branch: branch, objectKey: "\(branch)/backups/x.dump")
            let backups = try await api.request(.GET, "/api/backups?branch=\(branch)", token: token)
            #expect(backups.array.map { $0["id"] as? Int } == [Int(backup)] && backups.array.first?["status"] as? String == "completed")
            #expect(try await api.request(.GET, "/api/backups/\(backup)", token: token).json["object_key"] as? String == "\(branch)/backups/x.dump")
            #expect(try await api.request(.GET, "/api/backups?status=lost", token: token).json["field"] as? String == "status")
        }
    }

    @Test func healthReadinessMetricsAndTheDocumentNeedNoToken() async throws {
        try await APIHarness.with { api in
            #expect(try await api.request(.GET, "/healthz").json["status"] as? String == "ok")
            // A readiness probe is polled: under a loaded machine the pool's first connection can
            // take longer than the probe's 3 s budget, which is a 503 that names it, then 200.
            try await eventually(timeout: .seconds(30), "ready") {
                let ready = try await api.request(.GET, "/readyz")
                #expect(ready.status == 200 || (ready.status == 503 && ready.text.contains("unavailable")), "\(ready.text)")
                return ready.status == 200 && ready.json["schema_version"] as? Int == SchemaVersion.required
            }
            let document = try await api.request(.GET, "/openapi.yaml")
            #expect(document.status == 200 && document.text.hasPrefix("openapi: 3.1.0"))

            // A job through the store the API uses, so the counters have something to say.
            let queue = TestDatabase.uniqueQueue("metrics")
            let store = JobStore(client: api.client, logger: TestDatabase.logger,
                                 events: JobEvents([JobMetrics(registry: api.metrics)]))
            let job = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            let harness = try WorkerHarness(client: api.client, configuration: WorkerHarness.configuration(queue: queue),
                                            events: JobEvents([JobMetrics(registry: api.metrics)]))
            try await eventually("done") { try await store.job(job.id)?.state == .succeeded }
            try await harness.stop()
            let metrics = try await api.request(.GET, "/metrics")
            #expect(metrics.status == 200 && metrics.headers.first(name: "content-type")?.hasPrefix("text/plain") == true)
            let families = try PrometheusText.parse(metrics.text)
            #expect(families["nightshift_jobs_total"]?.contains { $0.labels["queue"] == queue && $0.labels["event"] == "succeeded" && $0.value == 1 } == true,
                    "\(metrics.text.prefix(2_000))")
            #expect(families["nightshift_job_duration_seconds_count"]?.contains { $0.labels["kind"] == "noop" && $0.value >= 1 } == true)
        }
    }

    @Test func theDocumentDescribesEveryRouteAndNoOther() async throws {
        let document = try Yams.load(yaml: OpenAPIDocument.text) as? [String: Any]
        let paths = try #require(document?["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in
            operations.keys.filter { ["get", "post", "put", "delete", "patch"].contains($0) }.map { "\($0.uppercased()) \(path)" }
        })
        try await APIHarness.with { api in
            let routes = Set(api.routes.map { "\($0.method) \($0.path)" })
            #expect(routes == documented, "in the code only: \(routes.subtracting(documented)); in the document only: \(documented.subtracting(routes))")
        }
    }
}
