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

    /// The selection, with `defaults` when no --state is given; every state must be one of `allowed`.
    func selection(defaults: [JobState], allowed: [JobState], action: String) throws -> JobSelection {
        let states = try state.map { name -> JobState in
            guard let state = JobState(rawValue: name) else {
                throw ValidationError("--state '\(name)' is not a job state: use one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard allowed.contains(state) else {
                throw ValidationError("--state \(name): only \(allowed.map(\.rawValue).joined(separator: ", ")) jobs can be \(action)")
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
        return JobSelection(states: states.isEmpty ? defaults : states, kinds: kind, queues: queue, since: from)
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
