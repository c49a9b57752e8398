import Foundation
import Hummingbird
import JobQueue
import Logging
import Monitoring
import NIOCore
import NightshiftCore
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

/// A local receiver of alerts, on a free port.
final class AlertReceiver: Sendable {
    final class Inbox: Sendable { let bodies = Mutex<[Data]>([]) }
    private let inbox = Inbox()
    /// The bodies posted so far.
    var received: [Data] { inbox.bodies.withLock { $0 } }
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    let port: Int

    init() async throws {
        let router = Router()
        let inbox = self.inbox
        router.post("/hooks/{token}") { request, context -> HTTPResponse.Status in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            inbox.bodies.withLock { $0.append(Data(buffer.readableBytesView)) }
            return .ok
        }
        let bound = AsyncStream.makeStream(of: Int.self)
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { bound.continuation.yield($0.localAddress?.port ?? 0) }, logger: TestDatabase.logger)
        group = ServiceGroup(configuration: .init(services: [application], logger: TestDatabase.logger))
        let group = self.group
        task = Task { try await group.run() }
        var ports = bound.stream.makeAsyncIterator()
        port = await ports.next() ?? 0
    }

    func stop() async { await group.triggerGracefulShutdown(); _ = try? await task.value }
}

/// Log lines, for checking what a failure did (and did not) print.
final class CapturedLog: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { metadata[key] } set { metadata[key] = newValue } }
    func log(event: LogEvent) {
        lines.withLock { $0.append("\(event.message) \(event.metadata ?? [:])") }
    }
}

@Suite struct AlertWebhookTests {
    @Test func aDiscardedJobPostsAnAlertWithTheRetryCommand() async throws {
        let receiver = try await AlertReceiver()
        let queue = TestDatabase.uniqueQueue("alert")
        try await TestDatabase.withClient { client in
            let alerts = AlertWebhook(url: URL(string: "http://127.0.0.1:\(receiver.port)/hooks/s3cr3t-token")!, logger: TestDatabase.logger)
            let delivery = Task { try await alerts.run() }
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let job = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 9), queue: queue, maxAttempts: 2))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), events: JobEvents([alerts]))
            try await eventually("the alert arrived") { !receiver.received.isEmpty }
            try await harness.stop()
            delivery.cancel()
            let alert = try #require(receiver.received.first.flatMap { try JSONSerialization.jsonObject(with: $0) as? [String: Any] })
            #expect(alert["job_id"] as? Int == Int(job.id) && alert["kind"] as? String == "test-fail" && alert["attempts"] as? Int == 2)
            #expect(alert["last_error"] as? String == "test failure on attempt 2")
            #expect(alert["retry_command"] as? String == "nightshift jobs retry \(job.id)")
            #expect((alert["text"] as? String)?.contains("nightshift jobs retry \(job.id)") == true, "the line a Slack channel shows")
            #expect(alert["args"] as? String == #"{"failTimes": 9}"#)
            #expect(receiver.received.count == 1, "one alert for one discarded job")
        }
        await receiver.stop()
    }

    @Test func aReceiverThatIsDownNeitherBlocksTheWorkerNorLeaksTheURL() async throws {
        let queue = TestDatabase.uniqueQueue("alert-down")
        let log = CapturedLog()
        let logger = Logger(label: "alerts") { _ in log }
        try await TestDatabase.withClient { client in
            let port = try S3TestServer.freePort()
            let alerts = AlertWebhook(url: URL(string: "http://127.0.0.1:\(port)/hooks/very-secret-token")!, logger: logger,
                                      retry: RetryPolicy(base: .milliseconds(10), cap: .milliseconds(20), jitter: 0), attempts: 3,
                                      timeout: .seconds(1))
            let delivery = Task { try await alerts.run() }
            let store = JobStore(client: client, logger: TestDatabase.logger)
            let doomed = try await store.enqueue(try NewJob(TestKinds.FailJob.self, args: .init(failTimes: 9), queue: queue, maxAttempts: 1))
            let fine = try await store.enqueue(NewJob(kind: "noop", queue: queue))
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), events: JobEvents([alerts]))
            try await eventually("both jobs ended") {
                let doomedState = try await store.job(doomed.id)?.state
                let fineState = try await store.job(fine.id)?.state
                return doomedState == .discarded && fineState == .succeeded
            }
            try await eventually("the failure to deliver is logged") {
                log.lines.withLock { $0.contains { $0.contains("could not deliver a failure alert") } }
            }
            try await harness.stop()
            delivery.cancel()
            let lines = log.lines.withLock { $0 }
            #expect(lines.contains { $0.contains("attempts: 3") || $0.contains("\"attempts\": 3") || $0.contains("attempts=3") }, "\(lines)")
            #expect(!lines.contains { $0.contains("very-secret-token") || $0.contains("127.0.0.1:\(port)") }, "the URL is never logged: \(lines)")
        }
    }
}
