import CoreMetrics
import JobQueue
import Synchronization

/// Job events as metrics: `nightshift_jobs_total{kind, queue, event}` (enqueued, started,
/// succeeded, failed, discarded, cancelled, handed_back, dropped) and the handler's time,
/// `nightshift_job_duration_seconds{kind}`. One lookup per event; handles are made once per kind.
public final class JobMetrics: JobEventSubscriber {
    private struct Handles: Sendable {
        var counters: [JobEvent.Name: CoreMetrics.Counter]
        var duration: CoreMetrics.Timer
    }

    private let registry: MetricsRegistry
    private let handles = Mutex<[String: Handles]>([:])

    public init(registry: MetricsRegistry) {
        self.registry = registry
    }

    public func receive(_ event: JobEvent) {
        let key = event.kind + "\u{0}" + event.queue
        let handles = self.handles.withLock { all -> Handles in
            if let existing = all[key] { return existing }
            let made = Handles(
                counters: Dictionary(uniqueKeysWithValues: JobEvent.Name.allCases.map {
                    ($0, registry.counter("nightshift_jobs_total", [("kind", event.kind), ("queue", event.queue), ("event", $0.rawValue)]))
                }),
                duration: registry.timer("nightshift_job_duration_seconds", [("kind", event.kind)]))
            all[key] = made
            return made
        }
        handles.counters[event.name]?.increment(by: Int64(event.count))
        if let duration = event.duration, event.name != .started {
            let (seconds, attoseconds) = duration.components
            handles.duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
    }
}
