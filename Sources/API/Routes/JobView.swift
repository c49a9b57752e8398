import Foundation
import JobQueue
import Scheduler

/// A job as the API shows it: its row, with `args` and `result` as JSON rather than text.
struct JobView: Encodable, Sendable {
    var id: Int64
    var kind: String
    var queue: String
    var args: JSONValue
    var state: JobState
    var priority: Int
    var attempt: Int
    var maxAttempts: Int
    var runAt: Date
    var uniqueKey: String?
    var createdAt: Date
    var attemptedAt: Date?
    var finishedAt: Date?
    var lockedBy: String?
    var lastError: String?
    var errors: [JobRecord.AttemptError]
    var result: JSONValue?
    var cancelRequestedAt: Date?
    var progress: Progress?
    var snoozes: Int
    var snoozeReason: String?
    var dependsOn: [Int64]

    /// What the job last said of how far it has got, from which attempt, and when.
    struct Progress: Encodable, Sendable {
        var done: Int64
        var total: Int64?
        var unit: String
        var step: String?
        var estimated: Bool?
        var attempt: Int
        var at: Date
    }

    init(_ job: JobRecord) {
        id = job.id
        kind = job.kind
        queue = job.queue
        args = Self.json(job.args) ?? .object([:])
        state = job.state
        priority = job.priority
        attempt = job.attempt
        maxAttempts = job.maxAttempts
        runAt = job.runAt
        uniqueKey = job.uniqueKey
        createdAt = job.createdAt
        attemptedAt = job.attemptedAt
        finishedAt = job.finishedAt
        lockedBy = job.lockedBy
        lastError = job.lastError
        errors = job.errors
        result = job.result.flatMap(Self.json)
        cancelRequestedAt = job.cancelRequestedAt
        snoozes = job.snoozes
        snoozeReason = job.snoozeReason
        dependsOn = job.dependsOn
        progress = job.progress.map { reported in
            Progress(done: reported.progress.done, total: reported.progress.total, unit: reported.progress.unit.rawValue,
                     step: reported.progress.step, estimated: reported.progress.estimated, attempt: reported.attempt, at: reported.at)
        }
    }

    static func json(_ text: String) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
}
