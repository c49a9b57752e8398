import Cron
import Foundation
import JobQueue

/// A named cron schedule and the jobs each of its slots enqueues.
public struct Schedule: Sendable, Equatable {
    /// A job a slot enqueues. `args` may hold `{year}`, `{month}`, `{date}`… placeholders.
    public struct JobTemplate: Sendable, Equatable {
        public var kind: String
        public var args: JSONValue
        public var queue: String
        public var priority: Int
        public var maxAttempts: Int
        /// Runs this long after the slot (so a later job of the slot waits for an earlier one).
        public var delay: Duration

        public init(kind: String, args: JSONValue = .object([:]), queue: String = NewJob.defaultQueue,
                    priority: Int = 0, maxAttempts: Int = NewJob.defaultMaxAttempts, delay: Duration = .zero) {
            self.kind = kind
            self.args = args
            self.queue = queue
            self.priority = priority
            self.maxAttempts = maxAttempts
            self.delay = delay
        }
    }

    /// Which missed slots a scheduler enqueues when it starts.
    public enum CatchUp: Sendable, Equatable {
        /// The most recent `n` slots (default 1: the latest missed slot).
        case lastSlots(Int)
        /// Every slot within this long before now.
        case within(Duration)
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
        let label = period.resolve(slot).label
        return [keyNamespace, job.kind, label].compactMap { $0 }.joined(separator: ":")
    }

    /// The jobs to enqueue for one slot.
    public func newJobs(for slot: Date) throws -> [NewJob] {
        let values = period.resolve(slot).values
        return try jobs.map { template in
            let args = template.args.substituting(values)
            let data = try JSONEncoder.sorted.encode(args)
            return NewJob(
                kind: template.kind, args: String(decoding: data, as: UTF8.self), queue: template.queue,
                priority: template.priority, runAt: template.delay > .zero ? slot.addingTimeInterval(template.delay.timeInterval) : nil,
                uniqueKey: uniqueKey(for: template, slot: slot), maxAttempts: template.maxAttempts)
        }
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
        case .lastSlots(let count):
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
