/// An operator's action on many jobs at once, and the states it may touch: the one place this
/// rule is written (the CLI, the API and the dashboard read it; the store enforces it).
public enum BulkAction: String, Sendable, CaseIterable, Codable {
    case retry
    case cancel

    /// The states a job must be in for this action to act on it.
    public var allowedStates: [JobState] {
        switch self {
        case .retry: [.discarded, .cancelled]
        case .cancel: [.pending, .available, .scheduled, .retryable, .running]
        }
    }

    /// The states acted on when a selection names none: for a cancel, the waiting ones (a
    /// running job is only asked to stop, so it is named on purpose: `--state running`).
    public var defaultStates: [JobState] {
        switch self {
        case .retry: [.discarded]
        case .cancel: [.pending, .available, .scheduled, .retryable]
        }
    }

    /// "retried", "cancelled": as in "only discarded or cancelled jobs can be retried".
    public var pastTense: String {
        switch self {
        case .retry: "retried"
        case .cancel: "cancelled"
        }
    }
}
