import Cron
import Crypto
import Foundation
import JobQueue

/// A named cron schedule and the jobs each of its slots enqueues.
public struct Schedule: Sendable {
    /// A job a slot enqueues: its kind, where it goes, and its arguments for a given slot.
    public struct JobTemplate: Sendable {
        public var kind: String
        public var queue: String
        public var priority: Int
        /// Nil: the kind's own default, else 20.
        public var maxAttempts: Int?
        /// Runs this long after the slot.
        public var delay: Duration
        /// Kinds of earlier jobs of the same slot this one waits for: it is enqueued `pending`
        /// and runs once they have succeeded (by their unique keys; see ``NewJob/dependsOn``).
        public var after: [String] = []
        /// The arguments for one slot, as JSON text.
        let arguments: @Sendable (SlotDetails) throws -> String
        /// Attempts a typed kind declares, when `maxAttempts` is nil.
        let kindMaxAttempts: Int?

        /// A job of a typed kind whose arguments are built from the slot.
        public static func job<Kind: JobKind>(
            _ kind: Kind.Type, queue: String = NewJob.defaultQueue, priority: Int = 0, maxAttempts: Int? = nil,
            delay: Duration = .zero, after: [String] = [], args: @escaping @Sendable (SlotDetails) -> Kind.Args
        ) -> JobTemplate {
            var template = JobTemplate(kind: Kind.kind, queue: queue, priority: priority, maxAttempts: maxAttempts, delay: delay,
                                       arguments: { slot in try NewJob(Kind.self, args: args(slot)).args }, kindMaxAttempts: Kind.maxAttempts)
            template.after = after
            return template
        }

        /// A job named by text (a schedules file): `args` may hold `{year}`, `{month}`, `{date}`…
        /// placeholders, filled per slot (see ``SlotDetails/templateValues``).
        public init(kind: String, args: JSONValue = .object([:]), queue: String = NewJob.defaultQueue,
                    priority: Int = 0, maxAttempts: Int? = nil, delay: Duration = .zero, after: [String] = []) {
            self.init(kind: kind, queue: queue, priority: priority, maxAttempts: maxAttempts, delay: delay,
                      arguments: { slot in
                          let data = try JSONEncoder.sorted.encode(args.substituting(slot.templateValues))
                          return String(decoding: data, as: UTF8.self)
                      }, kindMaxAttempts: nil)
            self.after = after
        }

        private init(kind: String, queue: String, priority: Int, maxAttempts: Int?, delay: Duration,
                     arguments: @escaping @Sendable (SlotDetails) throws -> String, kindMaxAttempts: Int?) {
            self.kind = kind
            self.queue = queue
            self.priority = priority
            self.maxAttempts = maxAttempts
            self.delay = delay
            self.arguments = arguments
            self.kindMaxAttempts = kindMaxAttempts
        }
    }

    /// Which missed slots a scheduler enqueues when it starts.
    public enum CatchUp: Sendable, Equatable {
        /// The most recent `n` slots (default 1: the latest missed slot).
        case lastSlots(Int)
        /// Every slot within this long before now.
        case within(Duration)
        /// Every slot since the latest one any scheduler fired for this schedule (its row in
        /// `scheduler_slots`), at most the `maximum` most recent; with none fired yet, the latest
        /// slot only. A month close down across two month-ends enqueues both months.
        case missed(maximum: Int)
    }

    public var name: String
    public var cron: CronSchedule
    public var period: SlotPeriod
    public var jobs: [JobTemplate]
    public var catchUp: CatchUp
    public var enabled: Bool
    /// Prefix of the jobs' unique keys, for several deployments sharing a database
    /// (e.g. a branch id). Keys read `[namespace:]kind:period`.
    public var keyNamespace: String?

    public init(name: String, cron: CronSchedule, period: SlotPeriod, jobs: [JobTemplate],
                catchUp: CatchUp = .lastSlots(1), enabled: Bool = true, keyNamespace: String? = nil) {
        self.name = name
        self.cron = cron
        self.period = period
        self.jobs = jobs
        self.catchUp = catchUp
        self.enabled = enabled
        self.keyNamespace = keyNamespace
    }

    /// The unique key a slot gives a job of this schedule, e.g. `generate-extrato:2026-10`.
    public func uniqueKey(for job: JobTemplate, slot: Date) -> String {
        [keyNamespace, job.kind, period.resolve(slot).label].compactMap { $0 }.joined(separator: ":")
    }

    /// The jobs to enqueue for one slot, in order: a job waits for the earlier jobs its
    /// template names in `after`, by their unique keys for this slot.
    public func newJobs(for slot: Date) throws -> [NewJob] {
        let details = period.resolve(slot)
        return try jobs.map { template in
            var job = NewJob(
                kind: template.kind, args: try template.arguments(details), queue: template.queue,
                priority: template.priority,
                runAt: template.delay > .zero ? slot.addingTimeInterval(template.delay.timeInterval) : nil,
                uniqueKey: uniqueKey(for: template, slot: slot),
                maxAttempts: template.maxAttempts ?? template.kindMaxAttempts ?? NewJob.defaultMaxAttempts)
            job.dependsOn = jobs.filter { template.after.contains($0.kind) }.map { .uniqueKey(uniqueKey(for: $0, slot: slot)) }
            return job
        }
    }

    /// What this schedule is, for one slot's jobs (``newJobs(for:)``): a digest (16 hex
    /// characters of SHA-256) of its cron expression, zone, and per job its kind, queue,
    /// priority, attempts, delay, dependencies, unique key and arguments. Two schedulers agree
    /// on a slot only when they agree on this; the slot's row is keyed by it.
    public func definition(of jobs: [NewJob]) -> String {
        var text = "cron=\(cron.expression.description)\nzone=\(cron.timeZone.identifier)\n"
        for job in jobs {
            let delay = job.runAt.map { String($0.timeIntervalSince1970) } ?? "-"
            text += "job kind=\(job.kind) queue=\(job.queue) priority=\(job.priority) attempts=\(job.maxAttempts) run_at=\(delay) "
                + "key=\(job.uniqueKey ?? "-") after=\(job.dependsOn.map { "\($0)" }.joined(separator: ",")) args=\(job.args)\n"
        }
        return SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The slots in `(after, through]`, oldest first.
    public func slots(after: Date, through: Date, limit: Int = 10_000) -> [Date] {
        var slots: [Date] = []
        var cursor = after
        while slots.count < limit, let next = cron.next(after: cursor), next <= through {
            slots.append(next)
            cursor = next
        }
        return slots
    }

    /// Where catch-up starts looking at start-up: slots after this instant and up to now that
    /// were never fired are fired.
    public func catchUpStart(now: Date) -> Date {
        switch catchUp {
        case .within(let duration):
            return now.addingTimeInterval(-duration.timeInterval)
        case .lastSlots(let count), .missed(maximum: let count):
            var cursor = now
            for _ in 0..<max(count, 1) {
                guard let previous = cron.previous(atOrBefore: cursor) else { return now }
                cursor = previous.addingTimeInterval(-1)
            }
            return cursor
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
