import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The dashboard over plain HTTP, as a browser without scripts sends it: redirects not
/// followed (the tests read them), the session cookie, form bodies.
struct DashboardHTTP {
    let http: HTTPClient
    let port: Int

    /// Runs `body` with a client for the server on `port`, and shuts the client down however
    /// `body` ends.
    static func with<T>(port: Int, _ body: (DashboardHTTP) async throws -> T) async throws -> T {
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let value = try await body(DashboardHTTP(http: http, port: port))
            try await http.shutdown()
            return value
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// The status, headers and body of `method path`, signed in with `cookie` (a token) when given.
    func send(_ method: HTTPMethod, _ path: String, cookie: String? = nil, form: String? = nil) async throws -> (Int, HTTPHeaders, String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let cookie { request.headers.add(name: "cookie", value: "nightshift_session=\(cookie)") }
        if let form {
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), response.headers, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}
