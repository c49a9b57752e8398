import CLibPQ
import Foundation

/// One blocking libpq connection. Not thread-safe: use it from one thread at a time (see
/// ``LibPQSession``). Errors carry the server's message with the password redacted.
public final class LibPQConnection {
    private let handle: OpaquePointer
    let url: DatabaseURL
    /// Names of the statements prepared on this connection.
    private var prepared: Set<String> = []

    public init(url: DatabaseURL, applicationName: String) throws(LibPQError) {
        guard let handle = PQconnectdb(Self.conninfo(url, applicationName: applicationName)) else {
            throw LibPQError("cannot allocate a libpq connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.message(handle, url)
            PQfinish(handle)
            throw LibPQError("cannot connect to \(url): \(message)")
        }
        self.handle = handle
        self.url = url
    }

    deinit { PQfinish(handle) }

    /// False once the server or the network dropped the connection.
    var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Runs a statement prepared under `name` (preparing it on first use), with text parameters,
    /// and returns its rows as text.
    func execute(prepared name: String, _ sql: String, _ parameters: [String?]) throws(LibPQError) -> LibPQResult {
        if !prepared.contains(name) {
            let result = LibPQResult(PQprepare(handle, name, sql, Int32(parameters.count), nil))
            guard result.status == PGRES_COMMAND_OK else { throw LibPQError(describing: result, url) }
            prepared.insert(name)
        }
        let result = Self.withCStrings(parameters) { values in
            LibPQResult(PQexecPrepared(handle, name, Int32(values.count), values, nil, nil, 0))
        }
        guard result.status == PGRES_TUPLES_OK || result.status == PGRES_COMMAND_OK else {
            throw LibPQError(describing: result, url)
        }
        return result
    }

    /// Runs statements without parameters and returns the last result's rows.
    @discardableResult
    public func execute(_ sql: String) throws(LibPQError) -> LibPQResult {
        let result = LibPQResult(PQexec(handle, sql))
        guard result.status == PGRES_TUPLES_OK || result.status == PGRES_COMMAND_OK else {
            throw LibPQError(describing: result, url)
        }
        return result
    }

    /// The raw handle, for streaming COPY.
    public var rawHandle: OpaquePointer { handle }

    /// The connection's last error message, password redacted.
    public var lastError: String { Self.message(handle, url) }

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

    /// A libpq connection string for `url`; values quoted as libpq requires. TCP keepalives
    /// make a vanished server an error within a minute instead of a hang.
    static func conninfo(_ url: DatabaseURL, applicationName: String) -> String {
        func quoted(_ value: String) -> String {
            "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        var parts = [
            "host=\(quoted(url.socketDirectory ?? url.host))", "port=\(url.port)", "user=\(quoted(url.username))",
            "dbname=\(quoted(url.database))", "sslmode=\(url.sslMode.rawValue)",
            "application_name=\(quoted(applicationName))", "connect_timeout=15",
            "keepalives=1", "keepalives_idle=15", "keepalives_interval=5", "keepalives_count=4",
        ]
        if let password = url.password { parts.append("password=\(quoted(password))") }
        return parts.joined(separator: " ")
    }
}

/// A failed libpq call, in words a person can act on; never contains the password.
public struct LibPQError: Error, CustomStringConvertible {
    public var description: String
    /// The SQLSTATE, for server errors.
    public var sqlState: String?

    init(_ description: String, sqlState: String? = nil) {
        self.description = description
        self.sqlState = sqlState
    }

    init(describing result: LibPQResult, _ url: DatabaseURL) {
        self.init(url.redacting(result.errorMessage), sqlState: result.sqlState)
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
