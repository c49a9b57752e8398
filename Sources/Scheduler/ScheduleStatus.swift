import Foundation

/// One schedule as an operator looks at it: what it runs and when, and how its last slot went.
/// `nightshift schedules list` prints these; the API serves them as they are.
public struct ScheduleStatus: Sendable, Codable, Equatable {
    public var name: String
    public var cron: String
    public var timeZone: String
    /// The kinds each slot enqueues, in order.
    public var jobs: [String]
    public var enabled: Bool
    /// Nil when disabled, or when the expression never fires again.
    public var nextFire: Date?
    public var lastSlot: Date?
    public var lastJobIDs: [Int64]
    public var lastJobStates: [String]

    enum CodingKeys: String, CodingKey {
        // `lastJobIds`, so snake-casing encoders write `last_job_ids` (not `last_job_i_ds`).
        case name, cron, timeZone, jobs, enabled, nextFire, lastSlot, lastJobStates, lastJobIDs = "lastJobIds"
    }
}

extension SlotStore {
    /// The status of each schedule, in the order given.
    public func statuses(of schedules: [Schedule], now: Date = Date()) async throws -> [ScheduleStatus] {
        let last = try await lastSlots()
        return schedules.map { schedule in
            ScheduleStatus(
                name: schedule.name, cron: schedule.cron.expression.description,
                timeZone: schedule.cron.timeZone.identifier, jobs: schedule.jobs.map(\.kind), enabled: schedule.enabled,
                nextFire: schedule.enabled ? schedule.cron.next(after: now) : nil, lastSlot: last[schedule.name]?.slot,
                lastJobIDs: last[schedule.name]?.jobIDs ?? [], lastJobStates: last[schedule.name]?.jobStates ?? [])
        }
    }
}
