import AsyncHTTPClient
import Foundation
import JobQueue
import Logging
import NIOCore
import NightshiftCore
import ServiceLifecycle

/// Seed 000's failure alert: when a job is discarded (failed for good), a JSON alert goes to
/// `ALERT_WEBHOOK_URL` — a `text` Slack-compatible receivers show, the job's kind, arguments,
/// attempts and last error, and the exact command that retries it. The subscriber only queues
/// the alert; this service delivers it, retrying a few times with backoff, so a receiver that
/// is down never slows or fails a worker. The URL (it often holds a token) is never logged.
public final class AlertWebhook: JobEventSubscriber, Service {
    public struct Alert: Sendable, Codable, Equatable {
        public var text: String
        public var jobID: Int64
        public var kind: String
        public var queue: String
        /// The job's arguments, as JSON text.
        public var args: String
        public var attempts: Int
        public var lastError: String
        public var retryCommand: String
        public var discardedAt: Date

        enum CodingKeys: String, CodingKey {
            case text, kind, queue, args, attempts
            case jobID = "job_id", lastError = "last_error", retryCommand = "retry_command", discardedAt = "discarded_at"
        }
    }

    private let url: URL
    private let http: HTTPClient
    private let logger: Logger
    private let retry: RetryPolicy
    private let attempts: Int
    private let timeout: Duration
    private let stream: AsyncStream<Alert>
    private let continuation: AsyncStream<Alert>.Continuation

    public init(url: URL, http: HTTPClient = .shared, logger: Logger,
                retry: RetryPolicy = RetryPolicy(base: .seconds(1), cap: .seconds(30), jitter: 0.2), attempts: Int = 4,
                timeout: Duration = .seconds(10)) {
        self.url = url
        self.http = http
        self.logger = logger
        self.retry = retry
        self.attempts = attempts
        self.timeout = timeout
        // Bounded: a receiver down for hours keeps the newest 1,000 alerts, not every one.
        (stream, continuation) = AsyncStream.makeStream(of: Alert.self, bufferingPolicy: .bufferingNewest(1_000))
    }

    public func receives(_ name: JobEvent.Name) -> Bool { name == .discarded }

    public func receive(_ event: JobEvent) {
        guard event.name == .discarded, let id = event.jobID else { return }
        let error = event.error ?? "no error recorded"
        let command = "nightshift jobs retry \(id)"
        continuation.yield(Alert(
            text: "Nightshift: job \(id) (\(event.kind)) failed for good after \(event.attempt) attempt(s): \(error). Retry with `\(command)`.",
            jobID: id, kind: event.kind, queue: event.queue, args: event.args ?? "{}", attempts: event.attempt,
            lastError: error, retryCommand: command, discardedAt: Date()))
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await alert in stream { await deliver(alert) }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }

    /// Tries `attempts` times; logs (without the URL) and drops the alert when every try failed.
    func deliver(_ alert: Alert) async {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? encoder.encode(alert) else { return }
        var reason = ""
        for attempt in 1...attempts {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "user-agent", value: "nightshift-alerts")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(Int(response.status.code)) { return }
                reason = "HTTP \(response.status.code)"
            } catch {
                reason = Self.describe(error)
            }
            if attempt < attempts { try? await Task.sleep(for: retry.delay(afterAttempt: attempt)) }
        }
        logger.error("could not deliver a failure alert to ALERT_WEBHOOK_URL", metadata: [
            "job_id": "\(alert.jobID)", "kind": "\(alert.kind)", "attempts": "\(attempts)", "reason": "\(reason)",
        ])
    }

    /// An HTTP client error, without the URL it may quote.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError: return "\(error)".split(separator: "(").first.map(String.init) ?? "HTTP client error"
        default: return String(describing: type(of: error))
        }
    }
}
