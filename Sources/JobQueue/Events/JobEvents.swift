/// The subscribers job events go to, fixed when a process is put together. With none, an
/// event is never built.
public struct JobEvents: Sendable {
    fileprivate let subscribers: [any JobEventSubscriber]

    public init(_ subscribers: [any JobEventSubscriber] = []) {
        self.subscribers = subscribers
    }

    public static let none = JobEvents()

    /// Sends the event to each subscriber that takes its name (``JobEventSubscriber/receives(_:)``).
    public func emit(_ event: @autoclosure () -> JobEvent) {
        guard !subscribers.isEmpty else { return }
        let event = event()
        for subscriber in subscribers where subscriber.receives(event.name) { subscriber.receive(event) }
    }
}

extension JobEvents {
    /// Whether any subscriber takes events of this name.
    func wanted(_ name: JobEvent.Name) -> Bool {
        subscribers.contains { $0.receives(name) }
    }

    /// An attempt's event, built only when a subscriber takes events of this name.
    func emit(_ name: JobEvent.Name, _ job: ClaimedJob, duration: Duration? = nil, error: @autoclosure () -> String? = nil,
              retryIn: Duration? = nil) {
        guard wanted(name) else { return }
        let event = JobEvent(name, job, duration: duration, error: error(), retryIn: retryIn)
        for subscriber in subscribers where subscriber.receives(name) { subscriber.receive(event) }
    }

    /// Several events at once (a batch's kinds), built only when someone listens.
    func emit(_ events: @autoclosure () -> [JobEvent]) {
        guard !subscribers.isEmpty else { return }
        for event in events() {
            for subscriber in subscribers where subscriber.receives(event.name) { subscriber.receive(event) }
        }
    }
}
