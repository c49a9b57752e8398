import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Opens one connection to a database, alone, to learn why it fails if it does. The pool
/// (`PostgresClient`) retries a refused or rejected connection in the background and a query
/// only waits, so a wrong password would show as a timeout; one connection of our own returns
/// the server's own reason at once.
public enum ConnectionProbe {
    /// Connects and closes within `timeout`, or throws the reason.
    public static func check(_ url: DatabaseURL, timeout: Duration = .seconds(3), setting: String = "DATABASE_URL",
                             logger: Logger) async throws(DatabaseUnreachable) {
        do {
            let connection = try await withThrowingTaskGroup(of: PostgresConnection?.self) { group in
                group.addTask { try await PostgresConnection.connect(configuration: try configuration(url, timeout: timeout), id: 0, logger: logger) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let connection else { throw unreachable(.timedOut, url, setting) }
            try? await connection.close()
        } catch let error as DatabaseUnreachable {
            throw error
        } catch {
            throw unreachable(reason(error, url), url, setting)
        }
    }

    static func unreachable(_ reason: DatabaseUnreachable.Reason, _ url: DatabaseURL, _ setting: String) -> DatabaseUnreachable {
        DatabaseUnreachable(reason: reason, address: url.description, host: url.socketDirectory ?? url.host, port: url.port, setting: setting)
    }

    static func configuration(_ url: DatabaseURL, timeout: Duration) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory = url.socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(url.port)", username: url.username,
                                  password: url.password, database: url.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch DatabaseClient.tlsChoice(for: url.sslMode) {
            case .disable: tls = .disable
            case .prefer(let settings): tls = .prefer(try NIOSSLContext(configuration: settings))
            case .require(let settings): tls = .require(try NIOSSLContext(configuration: settings))
            }
            configuration = .init(host: url.host, port: url.port, username: url.username, password: url.password,
                                  database: url.database, tls: tls)
        }
        configuration.options.connectTimeout = .milliseconds(Int64(timeout.components.seconds * 1000))
        configuration.options.additionalStartupParameters = [("application_name", "nightshift check")]
        return configuration
    }

    /// The reason in a driver error, password redacted.
    static func reason(_ error: any Error, _ url: DatabaseURL) -> DatabaseUnreachable.Reason {
        if let psql = error as? PSQLError {
            if let state = psql.serverInfo?[.sqlState] {
                let message = url.redacting(psql.serverInfo?[.message] ?? "the server refused the connection")
                switch state {
                case "3D000": return .noSuchDatabase(url.database)
                case "28P01", "28000": return .authenticationFailed(message)
                case _ where state.hasPrefix("57P"): return .serverNotReady(message)
                default: return .other("\(message) [SQLSTATE \(state)]")
                }
            }
            if psql.code == .sslUnsupported { return .sslUnsupported }
            if let underlying = psql.underlying { return reason(underlying, url) }
            return .other(url.redacting("\(psql.code)"))
        }
        if let failure = error as? NIOConnectionError {
            if failure.dnsAAAAError != nil && failure.dnsAError != nil && failure.connectionErrors.isEmpty { return .unknownHost }
            if let first = failure.connectionErrors.first { return reason(first.error, url) }
            return .refused
        }
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED { return .refused }
        if let channel = error as? ChannelError, case .connectTimeout = channel { return .timedOut }
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("ECONNREFUSED") { return .refused }
        return .other(url.redacting(text))
    }
}
