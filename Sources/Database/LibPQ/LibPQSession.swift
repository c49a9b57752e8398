import Foundation
import Synchronization

/// A libpq connection that lives on a thread of its own, so its blocking calls never hold up
/// Swift's executors. Work runs in the order submitted; the connection is opened on first use
/// and opened afresh after any failed call. The worker's claims and the backups' COPY streams
/// both run on one of these.
public final class LibPQSession: Sendable {
    private typealias Work = @Sendable (inout LibPQConnection?) -> Void

    private struct State {
        var queue: [Work?] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)
    private let url: DatabaseURL
    private let applicationName: String
    private let settings: [(String, String)]

    /// `settings` are server parameters for this session alone (``LibPQParameters``). A server
    /// that refuses them at startup — PgBouncer does, unless told to ignore `options` — gets a
    /// connection without them: they may make the session's work faster, never correct.
    public init(url: DatabaseURL, applicationName: String, settings: [(String, String)] = []) {
        self.url = url
        self.applicationName = applicationName
        self.settings = settings
        let thread = Thread { [self] in serve() }
        thread.name = "libpq \(applicationName)"
        thread.start()
    }

    /// Runs `body` on the session's thread with an open connection.
    public func run<T: Sendable>(_ body: @escaping @Sendable (LibPQConnection) throws -> T) async throws -> T {
        let url = self.url, applicationName = self.applicationName, settings = self.settings
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            let accepted = submit { connection in
                do {
                    if connection == nil || connection?.isOpen == false {
                        connection = nil
                        connection = try Self.connect(url: url, applicationName: applicationName, settings: settings)
                    }
                    let value = try body(connection!)
                    continuation.resume(returning: .success(value))
                } catch {
                    // Start clean on the next call: besides a dropped connection, a failure can
                    // leave what we cannot see, such as a prepared statement that a migration
                    // invalidated, a pooler discarded, or a transaction left open.
                    connection = nil
                    continuation.resume(returning: .failure(error))
                }
            }
            if !accepted { continuation.resume(returning: .failure(LibPQError("database session closed"))) }
        }
        return try result.get()
    }

    /// Connects with `settings`, or without them where the server or a pooler refused them.
    private static func connect(url: DatabaseURL, applicationName: String, settings: [(String, String)]) throws -> LibPQConnection {
        let first = Result { () throws(LibPQError) in try LibPQConnection(url: url, applicationName: applicationName, settings: settings) }
        if case .failure(let error) = first, !settings.isEmpty, refusesStartupSettings(error.description) {
            return try LibPQConnection(url: url, applicationName: applicationName)
        }
        return try first.get()
    }

    /// Whether a failed connection was turned away for its startup settings: PgBouncer says
    /// "unsupported startup parameter: options", PostgreSQL "unrecognized configuration
    /// parameter …" for a setting it does not have. An outage, a restart or a wrong password
    /// says neither, and the session reports it as it is.
    static func refusesStartupSettings(_ message: String) -> Bool {
        let message = message.lowercased()
        return message.contains("startup parameter") || message.contains("configuration parameter") || message.contains("options")
    }

    /// Closes the connection after the work already submitted; later calls fail.
    public func close() {
        guard state.withLock({ state -> Bool in
            guard !state.stopped else { return false }
            state.stopped = true
            state.queue.append(nil)
            return true
        }) else { return }
        ready.signal()
    }

    private func submit(_ work: @escaping Work) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.queue.append(work)
            return true
        }
        if accepted { ready.signal() }
        return accepted
    }

    private func serve() {
        var connection: LibPQConnection?
        while true {
            ready.wait()
            let work = state.withLock { $0.queue.removeFirst() }
            guard let work else { return }
            work(&connection)
        }
    }
}
