import Foundation
import JobQueue
import PostgresNIO
import TestSupport

/// What a run ended with, and every way it broke the rules.
struct ModelReport: Sendable {
    var seed: UInt64
    var violations: [String]
    var summary: String
}

/// The invariants, checked after quiescence against what the model knows (the jobs' planned
/// outcomes, the operator's actions and what they returned, the workers killed) and what the
/// jobs' handlers wrote (`nightshift_model_runs`).
struct ModelChecks {
    let run: ModelRun

    struct Job {
        var id: Int64
        var state: String
        var errors: [[String: Any]]
        var lastError: String?
    }

    struct Start {
        var job: Int64
        var claim: Int
        var deps: [[String: Any]]
    }

    func check() async throws -> ModelReport {
        let client = run.client, queues = run.queues
        var violations = run.log.violations + run.log.maintenanceErrors
        var jobs: [Int64: Job] = [:]
        for try await (id, state, errors, lastError) in try await client.query("""
            SELECT id, state::text, errors::text, last_error FROM jobs WHERE queue = ANY(\(queues))
            """, logger: TestDatabase.logger).decode((Int64, String, String, String?).self) {
            let parsed = (try? JSONSerialization.jsonObject(with: Data(errors.utf8))) as? [[String: Any]] ?? []
            jobs[id] = Job(id: id, state: state, errors: parsed, lastError: lastError)
        }
        var edges: [Int64: [(on: Int64, runAnyway: Bool)]] = [:]
        for try await (job, on, failure) in try await client.query("""
            SELECT e.job_id, e.depends_on, e.on_failure FROM job_dependencies e JOIN jobs j ON j.id = e.job_id WHERE j.queue = ANY(\(queues))
            """, logger: TestDatabase.logger).decode((Int64, Int64, String).self) {
            edges[job, default: []].append((on, failure == "run"))
        }
        var starts: [Start] = []
        var done: [Int64: Int] = [:]
        for try await (job, claim, event, deps) in try await client.query("""
            SELECT r.job_id, r.claim, r.event, r.deps::text FROM nightshift_model_runs r JOIN jobs j ON j.id = r.job_id
            WHERE j.queue = ANY(\(queues)) ORDER BY r.at
            """, logger: TestDatabase.logger).decode((Int64, Int, String, String).self) {
            if event == "done" { done[job, default: 0] += 1; continue }
            let parsed = (try? JSONSerialization.jsonObject(with: Data(deps.utf8))) as? [[String: Any]] ?? []
            starts.append(Start(job: job, claim: claim, deps: parsed))
        }
        let final: Set<String> = ["succeeded", "discarded", "cancelled"]

        // No dependent started before its dependencies allowed it.
        for start in starts {
            for dep in start.deps {
                let id = (dep["id"] as? NSNumber)?.int64Value ?? 0
                let state = dep["state"] as? String
                let runAnyway = dep["on_failure"] as? String == "run"
                // A run-anyway dependent was released when the dependency finished, however it
                // ended; a retry or revive of the dependency since does not call it back.
                let allowed = state == "succeeded" || (runAnyway && state != nil)
                if !allowed {
                    violations.append("job \(start.job) started (claim \(start.claim)) while its dependency \(id) was \(state ?? "missing")\(runAnyway ? " (runs anyway once it finishes)" : "")")
                }
            }
        }
        // Every job final, or pending only while a dependency has not finished.
        for job in jobs.values.sorted(by: { $0.id < $1.id }) where !final.contains(job.state) {
            let deps = edges[job.id] ?? []
            let states = deps.map { jobs[$0.on]?.state ?? "missing" }
            if job.state == "pending" {
                if states.allSatisfy({ final.contains($0) || $0 == "missing" }) {
                    violations.append("job \(job.id) stuck pending: its dependencies are all finished (\(zip(deps, states).map { "\($0.on) \($1)" }.joined(separator: ", ")))"
                                      + run.log.story(of: Set([job.id] + deps.map(\.on))))
                }
            } else {
                violations.append("job \(job.id) left \(job.state) after the run settled")
            }
        }
        // None ran twice: a committed effect at most once, and exactly when the job succeeded.
        for job in jobs.values.sorted(by: { $0.id < $1.id }) {
            let effects = done[job.id] ?? 0
            if effects > 1 { violations.append("job \(job.id) committed its effect \(effects) times") }
            if job.state == "succeeded" && effects == 0 { violations.append("job \(job.id) succeeded without its effect") }
            if job.state != "succeeded" && effects > 0 { violations.append("job \(job.id) is \(job.state) but committed its effect") }
        }
        // No operator cancel undone: no later claim, and still finished, unless the operator retried it since.
        var undone = Set<Int64>()
        for cancel in run.log.cancels where !undone.contains(cancel.job) {
            if run.log.retries.contains(where: { $0.at > cancel.at && $0.jobs.contains(cancel.job) }) { continue }
            undone.insert(cancel.job)
            if let again = starts.first(where: { $0.job == cancel.job && $0.claim > cancel.claims }) {
                violations.append("job \(cancel.job) ran again (claim \(again.claim)) after '\(cancel.action)'"
                                  + run.log.story(of: Set([cancel.job] + (edges[cancel.job] ?? []).map(\.on))))
            }
            // Pruned: it was finished.
            guard let state = jobs[cancel.job]?.state else { continue }
            if cancel.waiting ? state != "cancelled" : !final.contains(state) {
                violations.append("job \(cancel.job) is \(state) after '\(cancel.action)'" + run.log.story(of: [cancel.job]))
            }
        }
        // Every recorded failure is a planned one or a rescue of a killed worker.
        let killed = run.log.killed
        for job in jobs.values.sorted(by: { $0.id < $1.id }) {
            let fails = run.specs[job.id]?.args.fails ?? []
            for entry in job.errors {
                let attempt = (entry["attempt"] as? NSNumber)?.intValue ?? -1
                let text = entry["error"] as? String ?? ""
                if text.contains("model failure on attempt \(attempt)") && fails.contains(attempt) { continue }
                if text.hasPrefix("rescued: worker "), killed.contains(where: { text.contains("\($0) stopped") }) { continue }
                violations.append("job \(job.id) attempt \(attempt): unexplained failure '\(text.prefix(200))'")
            }
        }
        // The workers' own words for the failures the issue names.
        for (n, text) in run.log.workerLogs.enumerated() {
            for needle in ["deadlock detected", "stack depth limit exceeded", "could not snooze", "could not mark"] where text.contains(needle) {
                let line = text.split(separator: "\n").first { $0.contains(needle) } ?? ""
                violations.append("worker \(n) logged '\(needle)': \(line.prefix(300))")
            }
        }
        let counts = Dictionary(grouping: jobs.values, by: \.state).mapValues(\.count)
        let summary = "seed \(run.configuration.seed): \(jobs.count) jobs (\(counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))), "
            + "\(starts.count) handler starts, \(run.log.actions) operator actions, \(run.log.killed.count) SIGKILLs, \(violations.count) violations"
        return ModelReport(seed: run.configuration.seed, violations: violations, summary: summary)
    }
}
