import NightshiftCore

/// Why a database could not be opened, in the server's own words where it gave them, with the
/// address redacted and what to do. ``isPermanent`` tells a long-running process whether to
/// wait for it (the server is down or restarting) or to stop (a wrong name or password, which
/// no retry cures).
public struct DatabaseUnreachable: NightshiftError {
    public enum Reason: Sendable, Equatable {
        /// `database "x" does not exist` (SQLSTATE 3D000).
        case noSuchDatabase(String)
        /// `password authentication failed for user "y"` (28P01), or a pg_hba.conf rule refused
        /// the role (28000): the server's message.
        case authenticationFailed(String)
        /// `sslmode=require` (or verify-…), and the server does not accept SSL.
        case sslUnsupported
        /// Nothing listens at host:port (connection refused).
        case refused
        /// The host name does not resolve.
        case unknownHost
        /// No answer within the probe's deadline.
        case timedOut
        /// The server is starting up or shutting down (57P03, 57P01…).
        case serverNotReady(String)
        /// Anything else, as the driver or server said it.
        case other(String)
    }

    public var reason: Reason
    /// The address, password replaced by `***`.
    public var address: String
    public var host: String
    public var port: Int
    public var setting: String

    public init(reason: Reason, address: String, host: String, port: Int, setting: String = "DATABASE_URL") {
        self.reason = reason
        self.address = address
        self.host = host
        self.port = port
        self.setting = setting
    }

    /// A wrong name, role, password or TLS mode: retrying does not help.
    public var isPermanent: Bool {
        switch reason {
        case .noSuchDatabase, .authenticationFailed, .sslUnsupported, .unknownHost: true
        case .refused, .timedOut, .serverNotReady, .other: false
        }
    }

    public var description: String {
        let what: String
        switch reason {
        case .noSuchDatabase(let name):
            what = "database \"\(name)\" does not exist on \(host):\(port): create it (createdb \(name)) or fix the database name in \(setting)"
        case .authenticationFailed(let message):
            what = "\(message): check the user and password in \(setting), and pg_hba.conf on the server"
        case .sslUnsupported:
            what = "the server at \(host):\(port) does not accept SSL, and \(setting) asks for it: use sslmode=disable or prefer, or turn SSL on in the server"
        case .refused:
            what = "no PostgreSQL at \(host):\(port) (connection refused): start it, or fix the host and port in \(setting)"
        case .unknownHost:
            what = "the host \(host) does not resolve: fix the host in \(setting)"
        case .timedOut:
            what = "no answer from \(host):\(port) within 3 s: check that PostgreSQL is running and reachable (firewall, host, port in \(setting))"
        case .serverNotReady(let message):
            what = "the server at \(host):\(port) is not ready: \(message)"
        case .other(let message):
            what = "\(message): check \(setting) and that PostgreSQL is running"
        }
        return "cannot connect to \(address): \(what)"
    }

    public var category: ErrorCategory { isPermanent ? .misconfigured(setting: setting) : .unavailable }
}
