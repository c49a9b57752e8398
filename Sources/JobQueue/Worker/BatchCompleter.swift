import Logging
import Synchronization

/// Marks succeeded attempts in batches: one UPDATE and one commit for up to `maxBatch` jobs.
/// A batch is written once `fullBatch` completions have gathered or `maxDelay` after its first
/// one, whichever comes first; completions arriving while a batch is written join the next.
final class BatchCompleter: Sendable {
    private struct State {
        var pending: [AttemptRef] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finishing = false
    }

    private let state = Mutex(State())
    private let connection: ClaimConnection
    private let logger: Logger
    private let maxBatch: Int
    private let fullBatch: Int
    private let maxDelay: Duration

    init(connection: ClaimConnection, logger: Logger, maxBatch: Int = 2_000, fullBatch: Int = 100, maxDelay: Duration = .milliseconds(2)) {
        self.connection = connection
        self.logger = logger
        self.maxBatch = maxBatch
        self.fullBatch = fullBatch
        self.maxDelay = maxDelay
    }

    func add(_ ref: AttemptRef) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.pending.append(ref)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func waitForFirst() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if !state.pending.isEmpty || state.finishing { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Takes every pending completion, for the claim loop to write along with its next claim.
    func takeAll() -> [AttemptRef] {
        state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }

    /// Puts completions back after a claim that carried them failed.
    func putBack(_ refs: [AttemptRef]) {
        guard !refs.isEmpty else { return }
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.pending.insert(contentsOf: refs, at: 0)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func logFenced(_ refs: [AttemptRef]) {
        for ref in refs {
            logger.warning("completion refused: attempt no longer running here (rescued or cancelled)",
                           metadata: ["job_id": "\(ref.id)", "attempt": "\(ref.attempt)"])
        }
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
                logFenced(try await connection.markSucceeded(batch))
                failures = 0
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

    /// The next batch to write, or nil once finishing with nothing left.
    private func nextBatch() async -> [AttemptRef]? {
        while true {
            await waitForFirst()
            let (count, finishing) = state.withLock { ($0.pending.count, $0.finishing) }
            if count > 0 && count < fullBatch && !finishing {
                // Let a batch gather: one commit for many jobs instead of one each.
                try? await Task.sleep(for: maxDelay)
            }
            let batch = state.withLock { state -> [AttemptRef]? in
                let count = min(maxBatch, state.pending.count)
                guard count > 0 else { return state.finishing ? nil : [] }
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return batch
            }
            // Empty: the claim loop took them meanwhile; wait for more.
            guard let batch else { return nil }
            if !batch.isEmpty { return batch }
        }
    }
}
