import ArgumentParser
import Foundation
import JobQueue
import NightshiftCore

/// The filters of a bulk `jobs retry` / `jobs cancel`: which jobs, by state, kind, queue and age.
struct JobSelectionOptions: ParsableArguments {
    @Option(help: "Only jobs in this state (repeatable).") var state: [String] = []
    @Option(help: "Only jobs of this kind (repeatable).") var kind: [String] = []
    @Option(help: "Only jobs in this queue (repeatable).") var queue: [String] = []
    @Option(help: "Only jobs that finished (or, unfinished, were created) since: an ISO 8601 time, or an age like 2h or 1d.")
    var since: String?
    @Flag(help: "Act. Without it, print how many jobs match and the first of them, and change nothing.") var yes = false

    var isGiven: Bool { !state.isEmpty || !kind.isEmpty || !queue.isEmpty || since != nil }

    /// The selection for `action` (its default states when no --state is given); the rules are
    /// ``BulkAction`` and ``JobSelection``'s, worded here as flags.
    func selection(_ action: BulkAction) throws -> JobSelection {
        let states = try state.map { name -> JobState in
            guard let state = JobState(rawValue: name) else {
                throw ValidationError("--state '\(name)' is not a job state: use one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return state
        }
        var from: Date?
        if let since {
            if let time = ISO8601.parse(since) {
                from = time
            } else if let age = DurationText.parse(since) {
                from = Date().addingTimeInterval(-age.timeInterval)
            } else {
                throw ValidationError("--since '\(since)' is neither an ISO 8601 time (2026-12-01T02:00:00Z) nor an age (2h, 1d)")
            }
        }
        do {
            return try JobSelection(action, states: states, kinds: kind, queues: queue, since: from)
        } catch let error as InvalidInput {
            throw ValidationError("--\(error.message)")
        }
    }

    /// What a bulk action did: how many it changed, and each job it left, with why.
    static func describe(_ report: BulkReport, action: BulkAction) {
        print("\(action.pastTense) \(report.changed) job(s)"
              + (action == .cancel ? " (running ones end cancelled once their workers stop them)" : "")
              + (report.revived > 0 ? "; \(report.revived) dependent(s) wait again" : ""))
        guard !report.skipped.isEmpty else { return }
        print("left \(report.skipped.count) matching job(s) as they were:")
        for skip in report.skipped.prefix(20) { print("  job \(skip.id): \(reason(skip.reason))") }
        if report.skipped.count > 20 { print("  … and \(report.skipped.count - 20) more") }
    }

    static func reason(_ reason: BulkSkipReason) -> String {
        switch reason {
        case .stateChanged(let state): "it became \(state.rawValue) meanwhile"
        case .uniqueKeyHeld(let holder): "another job\(holder.map { " (\($0))" } ?? "") holds its unique key"
        case .dependencyFailed(let dependency): "job \(dependency), which it waits for, failed: run `nightshift jobs retry \(dependency)` instead"
        case .stillLocked: "another transaction kept it locked: run the command again"
        case .batchFailed(let error): "its batch failed: \(error)"
        }
    }

    /// The dry run's answer, or the start of the real one: how many, and the first few.
    static func describe(_ preview: BulkPreview, verb: String, acting: Bool) {
        print(acting ? "\(verb) \(preview.count) job(s), \(JobStore.bulkBatchSize) per transaction:"
                     : "would \(verb) \(preview.count) job(s) (a dry run: add --yes to act):")
        guard !preview.sample.isEmpty else { return }
        var table = Table("ID", "KIND", "QUEUE", "STATE", "FINISHED", "LAST ERROR")
        for job in preview.sample {
            table.add(String(job.id), job.kind, job.queue, job.state.rawValue, job.finishedAt?.shortISO ?? "-",
                      String((job.lastError ?? "-").prefix(60)))
        }
        print(table.rendered)
        if preview.count > preview.sample.count { print("… and \(preview.count - preview.sample.count) more") }
    }
}
