import NightshiftCore

/// A kind of job: a name, `Codable` arguments and the work to do.
///
/// ```swift
/// struct SendReport: JobKind {
///     struct Args: Codable, Sendable { var month: String }
///     static let kind = "send-report"
///     func run(_ args: Args, context: JobContext) async throws { … }
/// }
/// ```
public protocol JobKind: Sendable {
    associatedtype Args: Codable & Sendable

    /// The name stored in `jobs.kind`. Registering one name twice is an error.
    static var kind: String { get }
    /// Attempts before a failing job is discarded; nil uses the enqueue default (20).
    static var maxAttempts: Int? { get }
    /// How long one attempt may run before it is cancelled and counted as a failure; nil uses
    /// the worker's default.
    static var timeout: Duration? { get }
    /// How many may run at once, per worker and across all workers; nil: as many as the
    /// queue's limit allows.
    static var limit: KindLimit? { get }

    /// Checks what decoding cannot (a month of 13, say), naming the field. Enqueuers call it
    /// through ``JobRegistry/validate(kind:args:)`` before writing a job; the worker calls it
    /// before running one and discards the job when it throws.
    static func validate(_ args: Args) throws(InvalidInput)

    /// Does the work. Return normally to succeed, throw to fail (and retry with backoff).
    /// Throw ``JobDiscard`` to fail for good at once, ``JobSnooze`` to run again later without
    /// spending an attempt. To make database changes commit exactly
    /// once, do them inside ``JobContext/completeInTransaction(result:_:)``.
    ///
    /// It starts on the claiming thread and runs there until its first suspension (its first
    /// `await` that waits), so the many jobs that finish before one cost no thread switch. A
    /// handler that computes for long before it waits on anything holds up the next claim
    /// meanwhile: start it with `await Task.yield()`.
    func run(_ args: Args, context: JobContext) async throws
}

extension JobKind {
    public static var maxAttempts: Int? { nil }
    public static var timeout: Duration? { nil }
    public static var limit: KindLimit? { nil }
    public static func validate(_ args: Args) throws(InvalidInput) {}
}

/// Thrown by a handler to discard its job at once, without further retries.
public struct JobDiscard: NightshiftError {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
    public var category: ErrorCategory { .invalidInput(field: "args") }
}
