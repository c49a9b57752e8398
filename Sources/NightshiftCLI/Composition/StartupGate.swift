import Synchronization

/// Opens once the process's start-up checks have passed, or fails with their error. Services
/// of a process wait at the gate, so none touches a database that is unreachable or too old.
final class StartupGate: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Void, any Error>])
        case open
        case failed(any Error)
    }

    private let state = Mutex(State.waiting([]))

    func open() { finish(nil) }
    func fail(_ error: any Error) { finish(error) }

    /// Returns once the gate opens; throws if the checks failed or the task is cancelled.
    func wait() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    switch state {
                    case .open: return .success(())
                    case .failed(let error): return .failure(error)
                    case .waiting(var waiters):
                        if Task.isCancelled { return .failure(CancellationError()) }
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            finish(CancellationError(), onlyWaiters: true)
        }
    }

    private func finish(_ error: (any Error)?, onlyWaiters: Bool = false) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = onlyWaiters ? .waiting([]) : (error.map { .failed($0) } ?? .open)
            return waiters
        }
        for waiter in waiters {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
    }
}
