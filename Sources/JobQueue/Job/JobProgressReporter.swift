import Logging
import NightshiftCore
import Synchronization

/// A running job's ``WorkProgressReporting``: writes to `jobs.progress` at most once a second, one
/// write at a time and off the job's path (a report never waits for the database), the latest
/// report winning and the last one always written. A failed write is logged at debug and
/// skipped: progress is a view, not a record.
final class JobProgressReporter: WorkProgressReporting {
    private struct State {
        var lastWrite: ContinuousClock.Instant?
        var writing = false
        var latest: WorkProgress?
        var urgent = false
        var flushed: [CheckedContinuation<Void, Never>] = []
    }

    private let ref: AttemptRef
    private let store: JobStore
    private let logger: Logger
    private let interval: Duration
    private let state = Mutex(State())

    init(ref: AttemptRef, store: JobStore, logger: Logger, interval: Duration = .seconds(1)) {
        self.ref = ref
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    func report(_ progress: WorkProgress) {
        let start = state.withLock { state -> Bool in
            state.latest = progress
            if state.writing { return false }
            state.writing = true
            return true
        }
        if start { Task { await writeUntilCaughtUp() } }
    }

    /// Returns once the latest report is written (without waiting out the interval): the
    /// worker calls this when the job's code returns, before the attempt is marked finished,
    /// after which the row no longer takes progress.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let start = state.withLock { state -> Bool? in
                if !state.writing && state.latest == nil { return nil }
                state.urgent = true
                state.flushed.append(continuation)
                if state.writing { return false }
                state.writing = true
                return true
            }
            switch start {
            case nil: continuation.resume()
            case true?: Task { await writeUntilCaughtUp() }
            case false?: break
            }
        }
    }

    /// Writes the latest report, waiting out the interval since the last write unless a flush
    /// asked, until no newer report is left.
    private func writeUntilCaughtUp() async {
        while true {
            let (last, urgent) = state.withLock { ($0.lastWrite, $0.urgent) }
            if !urgent, let last, ContinuousClock.now - last < interval { try? await Task.sleep(until: last + interval) }
            let taken = state.withLock { state -> (WorkProgress?, [CheckedContinuation<Void, Never>]) in
                guard let latest = state.latest else {
                    state.writing = false
                    state.urgent = false
                    defer { state.flushed = [] }
                    return (nil, state.flushed)
                }
                state.latest = nil
                state.lastWrite = .now
                return (latest, [])
            }
            guard let progress = taken.0 else {
                for waiter in taken.1 { waiter.resume() }
                return
            }
            do { try await store.recordProgress(ref, progress) } catch {
                logger.debug("could not record progress", metadata: ["job_id": "\(ref.id)", "error": "\(error)"])
            }
        }
    }
}
