import CoreMetrics
import Prometheus

/// One process's metrics: a Prometheus registry and the swift-metrics factory over it. Made by
/// the composition root and passed to what records metrics, instead of a global bootstrap, so
/// tests (and several servers in one process) keep theirs apart.
public final class MetricsRegistry: Sendable {
    public let prometheus: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    /// Handler-time buckets, in seconds: from a no-op's milliseconds to an hour-long dump.
    public static let durationBuckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 10800]

    public init() {
        prometheus = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: prometheus)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets.map { .nanoseconds(Int64($0 * 1e9)) }
        self.factory = factory
    }

    public func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: label, dimensions: dimensions, handler: factory.makeCounter(label: label, dimensions: dimensions))
    }

    /// A value that is set, not added to (a Prometheus gauge).
    public func gauge(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Recorder {
        CoreMetrics.Recorder(label: label, dimensions: dimensions, aggregate: false,
                             handler: factory.makeRecorder(label: label, dimensions: dimensions, aggregate: false))
    }

    public func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: label, dimensions: dimensions, handler: factory.makeTimer(label: label, dimensions: dimensions))
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        prometheus.emit(into: &buffer)
        return buffer
    }
}
