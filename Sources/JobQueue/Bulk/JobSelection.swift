import Foundation
import NightshiftCore

/// Which jobs a bulk action acts on: every given filter must match. Built only through its
/// validating initializer, so a selection is always one its action may act on.
public struct JobSelection: Sendable, Equatable {
    public let action: BulkAction
    public let states: [JobState]
    public let kinds: [String]
    public let queues: [String]
    /// Only jobs that finished at or after this instant, or, for those not finished, were
    /// created at or after it.
    public let since: Date?

    /// Throws ``InvalidInput`` naming the field: a state the action may not touch (`state`), a
    /// kind or queue name that is not 1–128 characters without NUL (`kind`, `queue`).
    /// No states means the action's ``BulkAction/defaultStates``.
    public init(_ action: BulkAction, states: [JobState] = [], kinds: [String] = [], queues: [String] = [], since: Date? = nil) throws {
        if let bad = states.first(where: { !action.allowedStates.contains($0) }) {
            throw InvalidInput(field: "state", "state \(bad.rawValue): only \(action.allowedStates.map(\.rawValue).joined(separator: ", ")) jobs can be \(action.pastTense)")
        }
        for kind in kinds { try JobLimits.checkName(kind, field: "kind") }
        for queue in queues { try JobLimits.checkName(queue, field: "queue") }
        self.action = action
        self.states = states.isEmpty ? action.defaultStates : states
        self.kinds = kinds
        self.queues = queues
        self.since = since
    }

    /// The same filters for another action: the states are that action's defaults unless
    /// `states` are given.
    public func `for`(_ other: BulkAction, states: [JobState] = []) throws -> JobSelection {
        try JobSelection(other, states: states, kinds: kinds, queues: queues, since: since)
    }
}
