import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NightshiftCore

/// An S3-compatible bucket, over AsyncHTTPClient, signed with SigV4. Every request retries 5xx,
/// 429, timeouts and dropped connections with backoff and jitter; a 403 becomes an error that
/// names the setting to check.
public struct S3Store: ObjectStore {
    public let configuration: S3Configuration
    let http: HTTPClient
    let signer: SigV4Signer
    let logger: Logger
    let now: @Sendable () -> Date

    public init(configuration: S3Configuration, http: HTTPClient = .shared, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.http = http
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.logger = logger
        self.now = now
    }

    public var description: String {
        "s3://\(configuration.bucket) at \(configuration.endpoint?.absoluteString ?? "AWS \(configuration.region)")"
    }

    /// One request to send: the key (nil for the bucket itself), query, extra headers, body.
    struct Request: Sendable {
        var method: HTTPMethod
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: ByteBuffer?
        /// Hex SHA-256 of `body`, when the caller has it already.
        var bodySHA256: String?
        /// The operation's name in errors: "PUT key", "LIST prefix".
        var operation: String
        var timeout: Duration
    }

    /// A response whose body has been read.
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// Sends with retries and returns a 2xx response (or a 404 when `allowNotFound`); throws
    /// the store's error otherwise.
    func send(_ request: Request, allowNotFound: Bool = false) async throws -> Response {
        try await withRetries(request.operation) {
            let response = try await http.execute(try signed(request), timeout: .nanoseconds(Int64(request.timeout.timeInterval * 1e9)))
            let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
            return Response(status: response.status, headers: response.headers, body: body)
        } check: { response in
            try checkStatus(response.status, body: response.body, operation: request.operation, allowNotFound: allowNotFound)
        }
    }

    /// Runs `attempt` until it succeeds, retrying retryable failures with backoff. `check`
    /// throws ``Retry`` for statuses worth another try, or the final error.
    func withRetries<T: Sendable>(
        _ operation: String, _ attempt: () async throws -> T, check: (T) throws -> Void
    ) async throws -> T {
        var lastReason = ""
        for number in 1...configuration.maxAttempts {
            do {
                let value = try await attempt()
                try check(value)
                return value
            } catch let retry as Retry {
                lastReason = retry.reason
            } catch let error as ObjectStorageError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // Timeouts, resets, refused connections: the network, not the request.
                lastReason = "\(error)"
            }
            guard number < configuration.maxAttempts else { break }
            let delay = configuration.retry.delay(afterAttempt: number)
            logger.warning("object storage request failed, retrying", metadata: [
                "operation": "\(operation)", "attempt": "\(number)", "reason": "\(lastReason)", "retry_in_ms": "\(Int(delay.timeInterval * 1000))",
            ])
            try await Task.sleep(for: delay)
        }
        throw ObjectStorageError.unavailable(operation: operation, reason: lastReason, attempts: configuration.maxAttempts)
    }

    /// A status worth another try.
    struct Retry: Error { var reason: String }

    func checkStatus(_ status: HTTPResponseStatus, body: ByteBuffer, operation: String, allowNotFound: Bool) throws {
        let code = Int(status.code)
        if (200..<300).contains(code) {
            // CompleteMultipartUpload can answer 200 with an error in the body.
            if let error = S3XML.error(in: body), error.code != nil {
                if error.code == "InternalError" || error.code == "SlowDown" { throw Retry(reason: "200 with \(error.code ?? "")") }
                throw ObjectStorageError.unexpected(operation: operation, status: code, code: error.code, message: error.message)
            }
            return
        }
        let error = S3XML.error(in: body)
        if code == 404 {
            if error?.code == "NoSuchBucket" { throw ObjectStorageError.noSuchBucket(bucket: configuration.bucket) }
            if allowNotFound { return }
            throw ObjectStorageError.notFound(key: operation)
        }
        if code == 403 {
            throw ObjectStorageError.forbidden(operation: operation, code: error?.code ?? "AccessDenied", message: error?.message)
        }
        if code == 429 || code >= 500 || error?.code == "RequestTimeout" {
            throw Retry(reason: "HTTP \(code)\(error?.code.map { " \($0)" } ?? "")")
        }
        throw ObjectStorageError.unexpected(operation: operation, status: code, code: error?.code, message: error?.message)
    }

    /// The request as AsyncHTTPClient sends it: URL, signed headers, body.
    func signed(_ request: Request) throws -> HTTPClientRequest {
        let (base, prefix) = configuration.base
        let path = request.key.map { prefix + "/" + $0 } ?? (prefix.isEmpty ? "/" : prefix)
        guard let components = URLComponents(string: base), let host = components.host else {
            throw ObjectStorageError.unexpected(operation: request.operation, status: 0, code: "BadEndpoint",
                                                message: "BACKUP_S3_ENDPOINT \(base) is not a URL like https://s3.us-west-004.backblazeb2.com")
        }
        let hostHeader = components.port.map { "\(host):\($0)" } ?? host
        let bodyHash = request.bodySHA256 ?? request.body.map { body in body.withUnsafeReadableBytes { SHA256.hash(data: $0).hex } } ?? SigV4Signer.emptyPayloadHash
        var headers = request.headers
        headers.append(("host", hostHeader))
        if let body = request.body { headers.append(("content-length", String(body.readableBytes))) }
        let signed = signer.signHeaders(
            SigV4Signer.Request(method: request.method.rawValue, path: path, query: request.query, headers: headers, payloadHash: bodyHash),
            date: now())
        let query = SigV4Signer.canonicalQuery(request.query)
        var http = HTTPClientRequest(url: base + SigV4Signer.encode(path, keepingSlashes: true) + (query.isEmpty ? "" : "?" + query))
        http.method = request.method
        for (name, value) in headers + signed.headers where name != "content-length" { http.headers.add(name: name, value: value) }
        if let body = request.body { http.body = .bytes(body) }
        return http
    }
}
