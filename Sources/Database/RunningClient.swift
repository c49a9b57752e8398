import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Runs a `PostgresClient` as a service and says when it has started, so the first query of a
/// process waits for the pool instead of racing it (PostgresNIO warns when a connection is
/// leased before `run()`).
public final class RunningClient: Service, Sendable {
    public let client: PostgresClient
    private let started = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init(_ client: PostgresClient) {
        self.client = client
    }

    public func run() async {
        let waiters = started.withLock { state in
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
        await client.run()
    }

    /// Returns once `run()` has been entered (and so the pool is taking leases).
    public func waitUntilStarted() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let fired = started.withLock { state -> Bool in
                if !state.fired { state.waiters.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
        // run() sets its "running" flag before its first suspension; let that happen.
        await Task.yield()
    }
}
