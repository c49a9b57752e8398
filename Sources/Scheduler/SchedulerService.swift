import Database
import Foundation
import JobQueue
import NightshiftCore
import Logging
import ServiceLifecycle
import Synchronization

/// Enqueues each schedule's jobs when its slots come, once per slot across any number of
/// replicas, and on start catches up on slots missed while no scheduler ran.
public struct SchedulerService: Service {
    public struct Configuration: Sendable {
        /// Identifies this replica in `scheduler_slots.enqueued_by`.
        public var instanceID: String = ProcessIdentity.hostAndPID
        /// Longest sleep between checks: bounds how late a slot fires after the clock jumps.
        public var maximumSleep: Duration = .seconds(60)
        /// Called after each pass that completed, with its time (the metrics' "last tick").
        public var onPass: (@Sendable (Date) -> Void)?
        /// Called with the schedule's name each time this replica finds that another scheduler
        /// fired the same slot of a schedule of that name under a different definition (the
        /// metric `nightshift_scheduler_definition_conflicts_total`).
        public var onConflict: (@Sendable (String) -> Void)?
        public init() {}
    }

    /// What one pass did, for tests and logs.
    public struct Pass: Sendable, Equatable {
        public struct Fired: Sendable, Equatable {
            public var schedule: String
            public var slot: Date
            public var jobIDs: [Int64]
            public var inserted: [Bool]
        }
        /// Slots this replica fired.
        public var fired: [Fired] = []
        /// Slots another replica had fired already, of the same definition.
        public var skipped = 0
        /// Slots another scheduler fired under a different definition of the same schedule name.
        public var conflicts: [Conflict] = []
        /// Slots of the catch-up already fired under another (earlier) definition: not fired
        /// again, and no disagreement (this scheduler's own run before its file was edited).
        public var firedUnderEarlierDefinition: [Conflict] = []

        public struct Conflict: Sendable, Equatable {
            public var schedule: String
            public var slot: Date
            public var others: [SlotStore.OtherDefinition]
        }
    }

    public let schedules: [Schedule]
    public let configuration: Configuration
    let slots: SlotStore
    let logger: Logger
    let clock: @Sendable () -> Date
    private let checkedThrough = CheckedThrough()

    public init(schedules: [Schedule], configuration: Configuration = .init(), store: JobStore, logger: Logger,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.schedules = schedules.filter(\.enabled)
        self.configuration = configuration
        self.slots = SlotStore(jobs: store)
        self.logger = logger
        self.clock = clock
    }

    /// Fires every slot due up to `now` that this replica has not looked at yet. The first pass
    /// looks back over each schedule's catch-up window.
    @discardableResult
    public func runOnce(now: Date) async throws -> Pass {
        var pass = Pass()
        for schedule in schedules {
            var start = checkedThrough.get(schedule.name) ?? now
            let catchingUp = checkedThrough.get(schedule.name) == nil
            if catchingUp { start = try await catchUpStart(schedule, now: now) }
            for slot in schedule.slots(after: start, through: now) {
                let (fired, others) = try await slots.fire(schedule, slot: slot, by: configuration.instanceID, catchingUp: catchingUp)
                if catchingUp, fired == nil, !others.isEmpty {
                    pass.firedUnderEarlierDefinition.append(.init(schedule: schedule.name, slot: slot, others: others))
                    logger.notice("catch-up: this slot was fired under another definition of the schedule (an earlier SCHEDULES_FILE, TZ or key namespace); not fired again", metadata: [
                        "schedule": "\(schedule.name)", "slot": "\(slot)",
                        "other": "\(others.map { "\($0.enqueuedBy): \($0.kinds.joined(separator: ","))" }.joined(separator: "; "))",
                    ])
                } else if !others.isEmpty {
                    pass.conflicts.append(.init(schedule: schedule.name, slot: slot, others: others))
                    configuration.onConflict?(schedule.name)
                    logger.error("SCHEDULERS DISAGREE: another scheduler defines this schedule differently; both definitions fired this slot. Give every scheduler the same SCHEDULES_FILE (and TZ), or rename one of the schedules", metadata: [
                        "schedule": "\(schedule.name)", "slot": "\(slot)",
                        "this": "\(configuration.instanceID): \(schedule.jobs.map(\.kind).joined(separator: ",")) cron \(schedule.cron.expression) \(schedule.cron.timeZone.identifier)",
                        "other": "\(others.map { "\($0.enqueuedBy): \($0.kinds.joined(separator: ","))" }.joined(separator: "; "))",
                    ])
                }
                if let results = fired {
                    pass.fired.append(.init(schedule: schedule.name, slot: slot, jobIDs: results.map(\.id), inserted: results.map(\.inserted)))
                    logger.info("schedule fired", metadata: [
                        "schedule": "\(schedule.name)", "slot": "\(slot)",
                        "jobs": "\(zip(results, schedule.jobs).map { "\($1.kind)#\($0.id)\($0.inserted ? "" : " (existing, \($0.state.rawValue))")" })",
                    ])
                } else {
                    pass.skipped += 1
                }
                checkedThrough.set(schedule.name, slot)
            }
            checkedThrough.set(schedule.name, max(now, checkedThrough.get(schedule.name) ?? now))
        }
        return pass
    }

    /// Where the first pass starts for `schedule`: its catch-up window, and for
    /// ``Schedule/CatchUp/missed(maximum:)`` the latest slot fired before (bounded by the window).
    func catchUpStart(_ schedule: Schedule, now: Date) async throws -> Date {
        let window = schedule.catchUpStart(now: now)
        guard case .missed = schedule.catchUp else { return window }
        guard let last = try await slots.lastFired(schedule.name) else {
            return Schedule(name: schedule.name, cron: schedule.cron, period: schedule.period, jobs: [], catchUp: .lastSlots(1)).catchUpStart(now: now)
        }
        return max(window, min(last, now))
    }

    public func run() async throws {
        logger.info("scheduler started", metadata: ["schedules": "\(schedules.map(\.name).joined(separator: ","))"])
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        let now = clock()
                        try await runOnce(now: now)
                        configuration.onPass?(now)
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.error("scheduler pass failed, retrying", metadata: ["error": "\(DatabaseErrorMessage.describe(error))"])
                    }
                    try await Task.sleep(for: sleepUntilNextSlot())
                }
            }
        } catch is CancellationError {}
        logger.info("scheduler stopped")
    }

    /// Until the soonest next slot, at most `maximumSleep`, at least a second.
    func sleepUntilNextSlot() -> Duration {
        let now = clock()
        let soonest = schedules.compactMap { $0.cron.next(after: now) }.min()
        guard let soonest else { return configuration.maximumSleep }
        let wait = Duration.milliseconds(Int64(max(0, soonest.timeIntervalSince(now)) * 1000) + 50)
        return max(.seconds(1), min(wait, configuration.maximumSleep))
    }
}

/// Per schedule, the time through which this replica has fired slots.
final class CheckedThrough: Sendable {
    private let dates = Mutex([String: Date]())
    func get(_ name: String) -> Date? { dates.withLock { $0[name] } }
    func set(_ name: String, _ date: Date) { dates.withLock { $0[name] = date } }
}
