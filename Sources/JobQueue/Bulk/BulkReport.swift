/// Why a bulk action left a job it matched as it was.
public enum BulkSkipReason: Sendable, Equatable {
    /// Its state changed before the action could lock it: it no longer matches (now `state`).
    case stateChanged(JobState)
    /// Another job (`holder`) holds its unique key (a retry).
    case uniqueKeyHeld(holder: Int64?)
    /// A dependency of it failed (a retry): retry that one instead.
    case dependencyFailed(Int64)
    /// Still locked by another transaction after every revisit.
    case stillLocked
    /// Its batch failed with this error (after retries of lock conflicts).
    case batchFailed(String)
}

public struct BulkSkip: Sendable, Equatable {
    public var id: Int64
    public var reason: BulkSkipReason

    public init(id: Int64, reason: BulkSkipReason) {
        self.id = id
        self.reason = reason
    }
}

/// One transaction of a bulk action: what it changed and what it left, and why.
public struct BulkBatchReport: Sendable, Equatable {
    /// Jobs cancelled, asked to stop, or retried.
    public var changed: Int = 0
    /// Rows skipped because another transaction held them: revisited after the pass.
    public var lockedForLater: Int = 0
    public var skipped: [BulkSkip] = []
    /// For a retry: dependents revived, and those left cancelled (with why).
    public var dependents = DependentsRevival()
}

/// A whole bulk action: the sum of its batches.
public struct BulkReport: Sendable, Equatable {
    public var changed: Int = 0
    public var batches: Int = 0
    /// Every job matched and left as it was, with why; none is left merely for having been
    /// locked at first (those are revisited until they are acted on or stop matching).
    public var skipped: [BulkSkip] = []
    public var revived: Int = 0

    mutating func add(_ batch: BulkBatchReport) {
        changed += batch.changed
        batches += 1
        skipped += batch.skipped
        revived += batch.dependents.revived.count
    }
}
