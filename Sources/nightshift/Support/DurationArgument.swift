import ArgumentParser
import JobQueue

/// A `Duration` as a command-line value.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var duration: Duration
    init(_ duration: Duration) { self.duration = duration }
    init?(argument: String) {
        guard let duration = DurationText.parse(argument) else { return nil }
        self.duration = duration
    }
    static var defaultCompletionKind: CompletionKind { .default }
}
