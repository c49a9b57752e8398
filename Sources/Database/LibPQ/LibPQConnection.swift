import CLibPQ
import Foundation

/// One blocking libpq connection. Not thread-safe: use it from one thread at a time (see
/// ``LibPQSession``). Errors carry the server's message with the password redacted.
public final class LibPQConnection {
    let handle: OpaquePointer
    let url: DatabaseURL
    /// Names of the statements prepared on this connection.
    private var prepared: Set<String> = []

    /// `settings`: server parameters for this session (``LibPQParameters/init(_:applicationName:settings:)``).
    public init(url: DatabaseURL, applicationName: String, settings: [(String, String)] = []) throws(LibPQError) {
        guard let handle = PQconnectdb(LibPQParameters(url, applicationName: applicationName, settings: settings).connectionString) else {
            throw LibPQError("cannot allocate a libpq connection", isConnectionFailure: true)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.message(handle, url)
            PQfinish(handle)
            throw LibPQError("cannot connect to \(url): \(message)", isConnectionFailure: true)
        }
        self.handle = handle
        self.url = url
    }

    deinit { PQfinish(handle) }

    /// False once the server or the network dropped the connection.
    public var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Runs a statement prepared under `name` (preparing it on first use), with text parameters,
    /// and returns its rows as text.
    public func execute(prepared name: String, _ sql: String, _ parameters: [String?]) throws(LibPQError) -> LibPQResult {
        if !prepared.contains(name) {
            let result = LibPQResult(PQprepare(handle, name, sql, Int32(parameters.count), nil))
            guard result.status == PGRES_COMMAND_OK else { throw error(result) }
            prepared.insert(name)
        }
        let result = Self.withCStrings(parameters) { values in
            LibPQResult(PQexecPrepared(handle, name, Int32(values.count), values, nil, nil, 0))
        }
        guard result.status == PGRES_TUPLES_OK || result.status == PGRES_COMMAND_OK else { throw error(result) }
        return result
    }

    /// Runs statements without parameters and returns the last result's rows.
    @discardableResult
    public func execute(_ sql: String) throws(LibPQError) -> LibPQResult {
        let result = LibPQResult(PQexec(handle, sql))
        guard result.status == PGRES_TUPLES_OK || result.status == PGRES_COMMAND_OK else { throw error(result) }
        return result
    }

    /// The connection's last error message, password redacted.
    var lastError: String { Self.message(handle, url) }

    func error(_ result: LibPQResult) -> LibPQError {
        LibPQError(url.redacting(result.errorMessage), sqlState: result.sqlState, isConnectionFailure: !isOpen)
    }

    private static func message(_ handle: OpaquePointer, _ url: DatabaseURL) -> String {
        url.redacting(String(cString: PQerrorMessage(handle)).trimmingWhitespace)
    }

    private static func withCStrings<T>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } }
        defer { for pointer in owned { free(pointer) } }
        return owned.withUnsafeMutableBufferPointer { buffer in
            body(buffer.map { $0.map { UnsafePointer($0) } })
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        return String(text)
    }
}
