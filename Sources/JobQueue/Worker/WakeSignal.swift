import Synchronization

/// Wakes the claim loop: jobs became available (NOTIFY), a slot freed, or shutdown began.
/// Events that arrive while nobody waits are remembered until the next `wait`.
final class WakeSignal: Sendable {
    struct Events: OptionSet, Sendable {
        let rawValue: UInt8
        static let jobsAvailable = Events(rawValue: 1)
        static let slotFreed = Events(rawValue: 2)
        static let timedOut = Events(rawValue: 4)
        static let stopping = Events(rawValue: 8)
        /// A job of a kind with a ``KindLimit`` ended here: its slot may take another.
        static let limitedSlotFreed = Events(rawValue: 16)
    }

    private struct State {
        var pending: Events = []
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func fire(_ events: Events) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.pending.formUnion(events)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Waits for any event (or the timeout) and returns every event seen since the last wait.
    func wait(timeout: Duration?) async -> Events {
        await withTaskGroup(of: Void.self) { group in
            if let timeout {
                group.addTask {
                    do {
                        try await Task.sleep(for: timeout)
                        self.fire(.timedOut)
                    } catch {}
                }
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.pending.isEmpty { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                self.fire(.stopping)
            }
            group.cancelAll()
        }
        return state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }
}
