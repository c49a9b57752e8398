import NightshiftCore
import Synchronization

/// Counts rows as a COPY streams them and tells `progress` every `every` rows, against the
/// total counted in the same snapshot.
final class RowTally: Sendable {
    private struct Counts {
        var done: Int64 = 0
        var total: Int64?
    }

    private let counts = Mutex(Counts())
    private let progress: any WorkProgressReporting
    private let step: String
    private let every: Int64

    init(_ progress: any WorkProgressReporting, step: String, every: Int64 = 10_000) {
        self.progress = progress
        self.step = step
        self.every = every
    }

    func expect(_ total: Int) {
        counts.withLock { $0.total = Int64(total) }
        progress.report(WorkProgress(done: 0, total: Int64(total), unit: .records, step: step))
    }

    func add() {
        let report = counts.withLock { counts -> WorkProgress? in
            counts.done += 1
            guard counts.done % every == 0 || counts.done == counts.total else { return nil }
            return WorkProgress(done: counts.done, total: counts.total, unit: .records, step: step)
        }
        if let report { progress.report(report) }
    }
}
