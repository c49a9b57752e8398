import Database
import Foundation
import JobQueue
import PostgresNIO
import TestSupport

/// The operator's actions, each checked as it returns: a refusal must be true, a bulk action
/// must leave no matching job untouched.
extension ModelRun {
    mutating func perform(_ action: ModelAction) async throws {
        log.actions += 1
        switch action {
        case .retry(let index): try await retry(jobIDs[index])
        case .cancel(let index): try await cancel(jobIDs[index])
        case .retryAll(let queue, let kindB): try await retryAll(queue: queues[queue], kind: kindName(kindB))
        case .cancelAll(let queue, let kindB): try await cancelAll(queue: queues[queue], kind: kindName(kindB))
        case .pause(let queue): try await store.pause(queue: queues[queue], by: "model", reason: "model run")
        case .resume(let queue): try await store.resume(queue: queues[queue])
        case .prune:
            var configuration = Pruner.Configuration()
            configuration.retention = .seconds(1)
            configuration.discardedRetention = .seconds(1)
            do {
                let pruned = try await Pruner(configuration: configuration, store: store, logger: TestDatabase.logger).runOnce()
                log.trail.append(ModelEvent(text: "prune → \(pruned.deleted)", jobs: []))
            } catch {
                log.violations.append("prune threw: \(DatabaseErrorMessage.describe(error))")
            }
        }
    }

    private func kindName(_ b: Bool) -> String { b ? TestKinds.ModelJobB.kind : TestKinds.ModelJob.kind }

    private func clock() async throws -> Date {
        try await client.scalar("SELECT clock_timestamp()", as: Date.self) ?? Date()
    }

    private mutating func retry(_ id: Int64) async throws {
        let at = try await clock()
        let outcome: RetryOutcome
        do { outcome = try await store.retry(id) } catch {
            log.violations.append("retry of job \(id) threw: \(DatabaseErrorMessage.describe(error))")
            return
        }
        log.trail.append(ModelEvent(text: "retry \(id) → \(outcome)", jobs: [id]))
        switch outcome {
        case .retried:
            log.retries.append(ModelRetry(jobs: [id], at: at))
        case .uniqueKeyTaken:
            if try await !keyHeldElsewhere(id) {
                log.violations.append("retry of job \(id) refused with 'a newer job holds its unique key', but none does (\(try await describe(id)))")
            }
        case .dependencyFailed(let dependency):
            if try await !failedOrGone(dependency) {
                log.violations.append("retry of job \(id) refused because dependency \(dependency) failed, but it did not (\(try await describe(id)))")
            }
        default:
            break
        }
    }

    private mutating func cancel(_ id: Int64) async throws {
        let at = try await clock()
        let outcome: CancelOutcome
        do { outcome = try await store.cancel(id) } catch {
            log.violations.append("cancel of job \(id) threw: \(DatabaseErrorMessage.describe(error))")
            return
        }
        log.trail.append(ModelEvent(text: "cancel \(id) → \(outcome)", jobs: [id]))
        guard outcome == .cancelled || outcome == .cancelRequested else { return }
        let claims = try await client.scalar("SELECT attempt + snoozes FROM jobs WHERE id = \(id)", as: Int.self) ?? 0
        log.cancels.append(ModelCancel(job: id, at: at, claims: claims, waiting: outcome == .cancelled, action: "cancel \(id)"))
    }

    private mutating func retryAll(queue: String, kind: String) async throws {
        let before = try await snapshot(queue: queue, kind: kind, states: ["discarded", "cancelled"])
        let at = try await clock()
        var skipped: [Int64: BulkSkipReason] = [:]
        do {
            let report = try await store.perform(try JobSelection(.retry, states: [.discarded, .cancelled], kinds: [kind], queues: [queue]))
            log.trail.append(ModelEvent(text: "bulk retry of \(kind) in \(queue) (\(before.count) matched) → \(report.changed), skipped \(report.skipped.count)",
                                        jobs: Set(before.map(\.id))))
            for skip in report.skipped { skipped[skip.id] = skip.reason }
        } catch {
            log.violations.append("bulk retry of \(kind) in \(queue) threw: \(DatabaseErrorMessage.describe(error))")
        }
        log.retries.append(ModelRetry(jobs: Set(before.map(\.id)), at: at))
        let after = Dictionary(uniqueKeysWithValues: try await rows(before.map(\.id)).map { ($0.id, $0) })
        for old in before {
            guard let now = after[old.id] else { continue }
            let changed = now.state != old.state || now.maxAttempts != old.maxAttempts || now.finishedAt != old.finishedAt
            if changed { continue }
            let what = "bulk retry of \(kind) in \(queue) left job \(old.id)"
            switch skipped[old.id] {
            case .uniqueKeyHeld?:
                if try await !keyHeldElsewhere(old.id) { log.violations.append("\(what): 'unique key held', but no other job holds it (\(try await describe(old.id)))") }
            case .dependencyFailed(let dependency)?:
                if try await !failedOrGone(dependency) { log.violations.append("\(what): 'dependency \(dependency) failed', but it did not (\(try await describe(old.id)))") }
            case .stateChanged?:
                break
            case let reason?:
                log.violations.append("\(what) (\(reason)): \(try await describe(old.id))")
            case nil:
                log.violations.append("\(what) untouched and unreported (\(try await describe(old.id)))")
            }
        }
    }

    private mutating func cancelAll(queue: String, kind: String) async throws {
        let waiting = ["pending", "available", "scheduled", "retryable", "running"]
        let before = try await snapshot(queue: queue, kind: kind, states: waiting)
        let at = try await clock()
        do {
            let report = try await store.perform(try JobSelection(.cancel, states: [.pending, .available, .scheduled, .retryable, .running],
                                                                  kinds: [kind], queues: [queue]))
            log.trail.append(ModelEvent(text: "bulk cancel of \(kind) in \(queue) (\(before.count) matched) → \(report.changed), skipped \(report.skipped.count)",
                                        jobs: Set(before.map(\.id))))
            for skip in report.skipped {
                switch skip.reason {
                case .stateChanged: break
                default: log.violations.append("bulk cancel of \(kind) in \(queue) skipped job \(skip.id): \(skip.reason)")
                }
            }
        } catch {
            log.violations.append("bulk cancel of \(kind) in \(queue) threw: \(DatabaseErrorMessage.describe(error))")
        }
        for now in try await rows(before.map(\.id)) {
            let requested = now.cancelRequestedAt.map { $0 >= at } ?? false
            // Both a waiting job's cancel and a running one's request stamp cancel_requested_at.
            if requested {
                log.cancels.append(ModelCancel(job: now.id, at: at, claims: now.claims, waiting: false, action: "bulk cancel of \(kind) in \(queue)"))
            } else if waiting.contains(now.state) {
                log.violations.append("bulk cancel of \(kind) in \(queue) left job \(now.id) untouched (\(now.state))")
            }
        }
    }

    // MARK: reading the database

    struct Row: Sendable {
        var id: Int64
        var state: String
        var maxAttempts: Int
        var finishedAt: Date?
        var cancelRequestedAt: Date?
        var claims: Int
    }

    private func snapshot(queue: String, kind: String, states: [String]) async throws -> [Row] {
        try await read("""
            SELECT id, state::text, max_attempts, finished_at, cancel_requested_at, attempt + snoozes FROM jobs
            WHERE queue = \(queue) AND kind = \(kind) AND state::text = ANY(\(states)) ORDER BY id
            """)
    }

    private func rows(_ ids: [Int64]) async throws -> [Row] {
        try await read("""
            SELECT id, state::text, max_attempts, finished_at, cancel_requested_at, attempt + snoozes FROM jobs
            WHERE id = ANY(\(ids)) ORDER BY id
            """)
    }

    private func read(_ query: PostgresQuery) async throws -> [Row] {
        var found: [Row] = []
        for try await (id, state, maxAttempts, finished, requested, claims)
            in try await client.query(query, logger: TestDatabase.logger).decode((Int64, String, Int, Date?, Date?, Int).self) {
            found.append(Row(id: id, state: state, maxAttempts: maxAttempts, finishedAt: finished, cancelRequestedAt: requested, claims: claims))
        }
        return found
    }

    /// Another job holds `id`'s unique key: a live one, or a newer one that stands for it.
    private func keyHeldElsewhere(_ id: Int64) async throws -> Bool {
        try await client.scalar("""
            SELECT EXISTS (SELECT 1 FROM jobs j JOIN jobs h ON h.unique_key = j.unique_key AND h.id <> j.id
                           WHERE j.id = \(id) AND (h.state::text = ANY(\(JobState.uniqueStates.map(\.rawValue))) OR h.id > j.id))
            """, as: Bool.self) ?? false
    }

    /// Job `id` was discarded or cancelled, or is gone: a retry of a job waiting for it may be
    /// refused for it.
    private func failedOrGone(_ id: Int64) async throws -> Bool {
        try await client.scalar("""
            SELECT NOT EXISTS (SELECT 1 FROM jobs WHERE id = \(id) AND state NOT IN ('discarded', 'cancelled'))
            """, as: Bool.self) ?? false
    }

    func describe(_ id: Int64) async throws -> String {
        try await client.scalar("""
            SELECT format('job %s %s, unique key %s, last error %s; dependencies: %s', j.id, j.state, coalesce(j.unique_key, '-'),
                          coalesce(left(j.last_error, 120), '-'),
                          coalesce((SELECT string_agg(x.id || ' ' || x.state || ' (' || e.on_failure || ')', ', ' ORDER BY x.id)
                                    FROM job_dependencies e JOIN jobs x ON x.id = e.depends_on WHERE e.job_id = j.id), 'none'))
            FROM jobs j WHERE j.id = \(id)
            """, as: String.self) ?? "job \(id) gone"
    }
}
