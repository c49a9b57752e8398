/// One attempt of a job: the job and its fencing token. Writes about an attempt match only
/// while the job is still running that attempt.
public struct AttemptRef: Sendable, Hashable {
    public var id: Int64
    public var attempt: Int
    public init(id: Int64, attempt: Int) {
        self.id = id
        self.attempt = attempt
    }
}

extension AttemptRef: Comparable {
    /// By job id: the order every batch write about attempts locks its rows in.
    public static func < (lhs: AttemptRef, rhs: AttemptRef) -> Bool {
        (lhs.id, lhs.attempt) < (rhs.id, rhs.attempt)
    }
}
