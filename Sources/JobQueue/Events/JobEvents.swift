/// The subscribers job events go to, fixed when a process is put together. With none, an
/// event is never built.
public struct JobEvents: Sendable {
    fileprivate let subscribers: [any JobEventSubscriber]

    public init(_ subscribers: [any JobEventSubscriber] = []) {
        self.subscribers = subscribers
    }

    public static let none = JobEvents()

    public func emit(_ event: @autoclosure () -> JobEvent) {
        guard !subscribers.isEmpty else { return }
        let event = event()
        for subscriber in subscribers { subscriber.receive(event) }
    }
}

extension JobEvents {
    /// Several events at once (a batch's kinds), built only when someone listens.
    func emit(_ events: @autoclosure () -> [JobEvent]) {
        guard !subscribers.isEmpty else { return }
        for event in events() { for subscriber in subscribers { subscriber.receive(event) } }
    }
}
