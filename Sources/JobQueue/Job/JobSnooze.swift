import NightshiftCore

/// Thrown by a handler to say "not yet": the job goes back to `scheduled` and runs again after
/// `duration`. The attempt is not counted (its number goes back down, as at a hand-back), no
/// error is recorded, and the job's `snoozes` and `snooze_reason` say it happened.
///
/// ```swift
/// guard dumpIsReady else { throw JobSnooze(for: .seconds(600), "the night's dump is still running") }
/// ```
public struct JobSnooze: NightshiftError {
    public var duration: Duration
    public var reason: String

    public init(for duration: Duration, _ reason: String) {
        self.duration = max(duration, .zero)
        self.reason = reason
    }

    public var description: String { "snoozed for \(DurationText.short(duration)): \(reason)" }
    public var category: ErrorCategory { .unavailable }
}
