import Database
import Logging
import Synchronization

/// Marks succeeded attempts in batches: one UPDATE and one commit for many jobs.
///
/// While the claim loop is busy, completions ride along with its next claim (``takeAll()``),
/// so a busy worker pays one statement per batch for both; when it stops to wait for jobs it
/// writes what is pending. This completer writes the rest: while the claim loop is idle
/// `maxDelay` after the first one (so the last jobs of a burst share a statement), and any
/// that have waited `maxWait`.
final class BatchCompleter: Sendable {
    private struct State {
        var pending: [AttemptRef] = []
        /// When the oldest pending completion arrived.
        var oldest: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Void, Never>?
        var claimLoopIdle = true
        var finishing = false

        mutating func take(_ limit: Int) -> [AttemptRef] {
            let count = min(limit, pending.count)
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            oldest = pending.isEmpty ? nil : .now
            return batch
        }
    }

    private let state = Mutex(State())
    private let connection: ClaimConnection
    private let logger: Logger
    private let maxBatch: Int
    private let maxDelay: Duration
    private let maxWait: Duration

    init(
        connection: ClaimConnection, logger: Logger, maxBatch: Int = 2_000,
        maxDelay: Duration = .milliseconds(2), maxWait: Duration = .milliseconds(20)
    ) {
        self.connection = connection
        self.logger = logger
        self.maxBatch = maxBatch
        self.maxDelay = maxDelay
        self.maxWait = maxWait
    }

    func add(_ ref: AttemptRef) {
        updateAndWake { state in
            if state.pending.isEmpty { state.oldest = .now }
            state.pending.append(ref)
        }
    }

    /// Takes every pending completion, for the claim loop to write along with its next claim
    /// (which also tells the completer that the claim loop is busy).
    func takeAll() -> [AttemptRef] {
        takePending(claimLoopIdle: false)
    }

    /// Puts completions back after a claim that carried them failed.
    func putBack(_ refs: [AttemptRef]) {
        guard !refs.isEmpty else { return }
        updateAndWake { state in
            state.pending.insert(contentsOf: refs, at: 0)
            state.oldest = state.oldest ?? .now
        }
    }

    /// The claim loop is about to wait for jobs to appear, so no claim will carry completions
    /// until it claims again (``takeAll()``): it takes those pending to write them itself, and
    /// the completer writes later ones.
    func claimLoopGoesIdle() -> [AttemptRef] {
        takePending(claimLoopIdle: true)
    }

    private func takePending(claimLoopIdle: Bool) -> [AttemptRef] {
        state.withLock { state in
            state.claimLoopIdle = claimLoopIdle
            defer { state.pending = []; state.oldest = nil }
            return state.pending
        }
    }

    /// Changes the state, then resumes the completer if it waits for a first completion.
    private func updateAndWake(_ change: (inout State) -> Void) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            change(&state)
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
        updateAndWake { $0.finishing = true }
    }

    func run() async {
        var failures = 0
        while let batch = await nextBatch() {
            do {
                logFenced(try await connection.markSucceeded(batch))
                failures = 0
            } catch {
                failures += 1
                logger.error("could not record completions, will retry",
                             metadata: ["error": "\(DatabaseErrorMessage.describe(error))", "jobs": "\(batch.count)"])
                putBack(batch)
                try? await Task.sleep(for: .milliseconds(min(5_000, 50 * (1 << min(failures, 7)))))
                if failures > 20 && state.withLock({ $0.finishing }) { return }
            }
        }
    }

    /// The next batch to write, or nil once finishing with nothing left.
    private func nextBatch() async -> [AttemptRef]? {
        while true {
            await waitForFirst()
            let (finishing, idle, oldest) = state.withLock { ($0.finishing, $0.claimLoopIdle, $0.oldest) }
            // Idle: let the burst's last completions gather, then write them. Busy: the claim
            // loop will carry them; look again only when the oldest would be overdue (a timer
            // every few milliseconds costs the worker more than it saves).
            if !finishing {
                let age = oldest.map { ContinuousClock.now - $0 } ?? .zero
                try? await Task.sleep(for: idle ? maxDelay : max(maxDelay, maxWait - age))
            }
            let (batch, finished) = state.withLock { state -> ([AttemptRef], Bool) in
                guard let oldest = state.oldest, !state.pending.isEmpty else { return ([], state.finishing) }
                let due = state.finishing || state.claimLoopIdle || state.pending.count >= maxBatch
                    || ContinuousClock.now - oldest >= maxWait
                return (due ? state.take(maxBatch) : [], false)
            }
            if finished { return nil }
            if !batch.isEmpty { return batch }
        }
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
}
