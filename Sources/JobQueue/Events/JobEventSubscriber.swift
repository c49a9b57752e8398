/// Receives job events as they happen, on the thread that caused them (a worker's job task, an
/// enqueuer). Must return at once: a subscriber with slow work (a webhook, say) hands the event
/// to a task of its own.
public protocol JobEventSubscriber: Sendable {
    func receive(_ event: JobEvent)
    /// Whether this subscriber takes events of this name at all. An event no subscriber takes is
    /// never built: a worker's `started` and `succeeded`, one each per job, usually go only to a
    /// logger that drops them below its level.
    func receives(_ name: JobEvent.Name) -> Bool
}

extension JobEventSubscriber {
    public func receives(_ name: JobEvent.Name) -> Bool { true }
}
