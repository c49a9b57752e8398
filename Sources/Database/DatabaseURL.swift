import Foundation
import NightshiftCore

/// A parsed `postgres://user:pass@host:port/db?sslmode=…` address.
///
/// The password is kept out of `description`, so a `DatabaseURL` can be logged or put in an
/// error message safely.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// A directory holding the server's Unix socket (`?host=/path`), as libpq accepts.
    public var socketDirectory: String?

    public init(
        host: String = "localhost", port: Int = 5432, username: String, password: String? = nil,
        database: String, sslMode: SSLMode = .prefer, socketDirectory: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.socketDirectory = socketDirectory
    }

    /// Parses `text`, the value of the setting `setting`; a URL without a user name connects as
    /// `defaultUsername`, as libpq connects as the operating system's user.
    public init(parsing text: String, setting: String = "DATABASE_URL", defaultUsername: String = "postgres") throws(ConfigurationError) {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw ConfigurationError(
                "\(setting) is not a postgres:// URL: use postgres://user:password@host:5432/database", setting: setting)
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw ConfigurationError(
                "\(setting) names no database: add it after the host, as in postgres://user@host:5432/nightshift", setting: setting)
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        var sslMode = SSLMode.prefer
        if let raw = query["sslmode"] {
            guard let mode = SSLMode(rawValue: raw) else {
                let allowed = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError("\(setting) sslmode '\(raw)' is not supported: use one of \(allowed)", setting: setting)
            }
            sslMode = mode
        }
        let socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let host = components.percentEncodedHost.map { $0.removingPercentEncoding ?? $0 } ?? ""
        guard !host.isEmpty || socketDirectory != nil else {
            throw ConfigurationError("\(setting) names no host: use postgres://user@host:5432/\(database)", setting: setting)
        }
        self.init(
            host: host.isEmpty ? "localhost" : host,
            port: components.port ?? 5432,
            username: components.user ?? defaultUsername,
            password: components.password,
            database: database,
            sslMode: sslMode,
            socketDirectory: socketDirectory
        )
    }

    /// The address with the password replaced by `***`.
    public var description: String {
        let auth = password == nil ? username : "\(username):***"
        let location = socketDirectory.map { "\(host)?host=\($0)" } ?? "\(host):\(port)"
        return "postgres://\(auth)@\(location)/\(database)"
    }

    /// Removes this address's password from a text (an error message from a driver, say).
    public func redacting(_ text: String) -> String {
        guard let password, !password.isEmpty else { return text }
        return text.replacingOccurrences(of: password, with: "***")
    }
}

extension DatabaseURL {
    /// The URL text again, password included: for handing to a child process, never for logs.
    public var connectionString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        var items = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
        if let socketDirectory { items.append(URLQueryItem(name: "host", value: socketDirectory)) }
        components.queryItems = items
        return components.string ?? ""
    }
}
