/// Receives job events as they happen, on the thread that caused them (a worker's job task, an
/// enqueuer). Must return at once: a subscriber with slow work (a webhook, say) hands the event
/// to a task of its own.
public protocol JobEventSubscriber: Sendable {
    func receive(_ event: JobEvent)
}
