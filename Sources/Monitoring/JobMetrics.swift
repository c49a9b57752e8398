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

    /// Makes every kind's counters in every queue exist at 0 from the process's start. A
    /// counter born at 1 by its first event shows no increase to Prometheus (`increase()` needs
    /// two samples), so the first discard of a kind after a restart would never fire
    /// `JobsDiscarded`; a series that already reads 0 does.
    public func prime(kinds: [String], queues: [String]) {
        for kind in kinds {
            for queue in queues { _ = handles(kind: kind, queue: queue) }
        }
    }

    public func receive(_ event: JobEvent) {
        let handles = handles(kind: event.kind, queue: event.queue)
        handles.counters[event.name]?.increment(by: Int64(event.count))
        if let duration = event.duration, event.name != .started {
            let (seconds, attoseconds) = duration.components
            handles.duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
    }

    private func handles(kind: String, queue: String) -> Handles {
        let key = kind + "\u{0}" + queue
        return self.handles.withLock { all -> Handles in
            if let existing = all[key] { return existing }
            let made = Handles(
                counters: Dictionary(uniqueKeysWithValues: JobEvent.Name.allCases.map {
                    ($0, registry.counter("nightshift_jobs_total", [("kind", kind), ("queue", queue), ("event", $0.rawValue)]))
                }),
                duration: registry.timer("nightshift_job_duration_seconds", [("kind", kind)]))
            all[key] = made
            return made
        }
    }
}
