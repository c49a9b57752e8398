import Hummingbird
import Logging
import Monitoring
import NIOCore
import ServiceLifecycle

/// `/metrics` on `METRICS_PORT` for the processes without the API (worker, scheduler).
public struct MetricsServer: Sendable {
    let registry: MetricsRegistry
    let host: String
    let port: Int
    let logger: Logger

    public init(registry: MetricsRegistry, host: String, port: Int, logger: Logger) {
        self.registry = registry
        self.host = host
        self.port = port
        self.logger = logger
    }

    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let router = Router()
        let registry = self.registry
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.exposition())))
        }
        router.get("/healthz") { _, _ in "ok" }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "nightshift-metrics"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}
