import BackOffice
import Foundation
import NightshiftCore
import Hummingbird
import JobQueue

/// Seed 000's service endpoints, same paths and bodies, for the outside safety net (its
/// GitHub Actions layer): create the month's backup (200, or 409 when a valid one exists) and
/// close the month (200 with the job). `wait` (seconds, at most API_SERVICE_MAX_WAIT_SECONDS, 300 by default) answers once the job has
/// finished, with its outcome: a close that failed is a 500 with the job's error, as the
/// seed's callers expect; one still going after `wait` is a 202.
struct ServiceRoutes {
    let dependencies: APIDependencies
    /// The most a `wait` waits, in seconds (`API_SERVICE_MAX_WAIT_SECONDS`).
    var maximumWait = 300

    struct MonthRequest: Decodable {
        var month: Int
        var year: Int
        var force: Bool?
        var wait: Int?
    }

    struct Outcome: Encodable {
        var message: String
        var job: JobView
        var backup: BackupManifest?
        var extrato: ExtratoSummary?
    }

    func register(_ routes: RouteTable) {
        routes.add(.post, "/api/backup/create_service", role: .operator, bucket: .backup) { request, context in
            let body = try await Input.body(MonthRequest.self, request, context)
            let month = try StudioMonth(year: body.year, month: body.month)
            let wait = try Self.wait(body.wait, maximum: maximumWait)
            return try await createBackup(month, force: body.force ?? false, wait: wait)
        }
        routes.add(.post, "/api/extrato/generate_service", role: .operator, bucket: .backup) { request, context in
            let body = try await Input.body(MonthRequest.self, request, context)
            let month = try StudioMonth(year: body.year, month: body.month)
            try month.requireEnded(at: Date(), in: dependencies.backOffice.timeZone)
            let wait = try Self.wait(body.wait, maximum: maximumWait)
            return try await generate(month, force: body.force ?? false, wait: wait)
        }
    }

    static func wait(_ seconds: Int?, maximum: Int) throws -> Duration {
        guard let seconds else { return .zero }
        guard seconds >= 0 else { throw APIError.invalid("wait", "wait is seconds to wait for the job, 0…\(maximum)") }
        return .seconds(min(seconds, maximum))
    }

    func createBackup(_ month: StudioMonth, force: Bool, wait: Duration) async throws -> Response {
        if !force, (try? await dependencies.backupVerifier.verifiedManifest(month)) != nil {
            throw APIError.conflict("a valid backup for \(month.slashed) already exists")
        }
        var job = try NewJob(BackupMonthJob.self, args: .init(year: month.year, month: month.month, force: force ? true : nil,
                                                            branch: dependencies.backOffice.branch.id),
                             uniqueKey: force ? nil : dependencies.uniqueKey(BackupMonthJob.kind, month.label))
        var result = try await dependencies.store.enqueue(job)
        if !result.inserted, result.state == .succeeded {
            // The key's job succeeded, yet the backup is not valid now (deleted, changed): make it again.
            job.uniqueKey = nil
            result = try await dependencies.store.enqueue(job)
        }
        return try await answer(result.id, wait: wait, enqueued: "backup for \(month.slashed) enqueued") { record in
            Outcome(message: "backup for \(month.slashed) created", job: JobView(record),
                    backup: try? await dependencies.backupVerifier.verifiedManifest(month))
        }
    }

    /// Enqueues the month's extrato after the month's backup-month job when one is live (it
    /// waits for it, as the scheduler's does); with none, at once (the job itself checks that
    /// the month's backup verifies).
    func generate(_ month: StudioMonth, force: Bool, wait: Duration) async throws -> Response {
        var job = try NewJob(GenerateExtratoJob.self, args: .init(year: month.year, month: month.month, force: force ? true : nil,
                                                                branch: dependencies.backOffice.branch.id),
                             uniqueKey: force ? nil : dependencies.uniqueKey(GenerateExtratoJob.kind, month.label))
        job.dependsOn = [.uniqueKey(dependencies.uniqueKey(BackupMonthJob.kind, month.label))]
        let result: EnqueueResult
        do {
            result = try await dependencies.store.enqueue(job)
        } catch let error as InvalidInput where error.field == "depends_on" {
            job.dependsOn = []
            result = try await dependencies.store.enqueue(job)
        }
        return try await answer(result.id, wait: wait, enqueued: "extrato for \(month.slashed) enqueued") { record in
            Outcome(message: "extrato for \(month.slashed) generated", job: JobView(record),
                    extrato: try? await dependencies.extratos.summary(month))
        }
    }

    /// 200 with `done` when the job succeeded within `wait`; 500 with its error when it failed;
    /// 200 with the job right away when not waiting; 202 when it is still going.
    private func answer(_ id: Int64, wait: Duration, enqueued: String, done: (JobRecord) async throws -> Outcome) async throws -> Response {
        guard let record = try await dependencies.store.waitUntilFinished(id, timeout: wait) else { throw APIError.internalError }
        switch record.state {
        case .succeeded: return try Reply.json(try await done(record))
        case .discarded, .cancelled:
            throw APIError(.internalServerError, "job_failed", "job \(id) \(record.state.rawValue): \(record.lastError ?? "no error recorded")")
        case .retryable where wait > .zero:
            throw APIError(.internalServerError, "job_failed", "job \(id) failed and will retry: \(record.lastError ?? "no error recorded")")
        default:
            return try Reply.json(Outcome(message: enqueued, job: JobView(record)), status: wait > .zero ? .accepted : .ok)
        }
    }
}
