import Logging
import Synchronization

/// Marks succeeded attempts in batches: while one UPDATE is in flight, the next completions
/// gather, so under load many jobs share one statement and one commit, and when idle a lone
/// completion is written at once.
final class BatchCompleter: Sendable {
    private struct State {
        var pending: [AttemptRef] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finishing = false
    }

    private let state = Mutex(State())
    private let store: JobStore
    private let logger: Logger
    private let maxBatch: Int

    init(store: JobStore, logger: Logger, maxBatch: Int = 2_000) {
        self.store = store
        self.logger = logger
        self.maxBatch = maxBatch
    }

    func add(_ ref: AttemptRef) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.pending.append(ref)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Stops after writing everything added so far.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finishing = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func run() async {
        var failures = 0
        while true {
            let batch = await nextBatch()
            guard let batch else { return }
            do {
                let fenced = try await store.markSucceeded(batch)
                failures = 0
                for ref in fenced {
                    logger.warning("completion refused: attempt no longer running here (rescued or cancelled)",
                                   metadata: ["job_id": "\(ref.id)", "attempt": "\(ref.attempt)"])
                }
            } catch {
                failures += 1
                logger.error("could not record completions, will retry",
                             metadata: ["error": "\(DatabaseErrorMessage.describe(error))", "jobs": "\(batch.count)"])
                state.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
                try? await Task.sleep(for: .milliseconds(min(5_000, 50 * (1 << min(failures, 7)))))
                if failures > 20 && state.withLock({ $0.finishing }) { return }
            }
        }
    }

    private func nextBatch() async -> [AttemptRef]? {
        while true {
            enum Step { case batch([AttemptRef]), done, wait }
            let step = state.withLock { state -> Step in
                if !state.pending.isEmpty {
                    let count = min(maxBatch, state.pending.count)
                    let batch = Array(state.pending.prefix(count))
                    state.pending.removeFirst(count)
                    return .batch(batch)
                }
                return state.finishing ? .done : .wait
            }
            switch step {
            case .batch(let batch): return batch
            case .done: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.pending.isEmpty || state.finishing { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }
}
