/// How long a failed attempt waits before the next: a job's retries, and the S3 client's.
///
/// `delay(n) = min(cap, base × 2^(n−1)) × (1 − jitter + 2 × jitter × r)`, where `n` is the
/// attempt that just failed and `r` is uniform in [0, 1). With the defaults (base 1 s, cap 1 h,
/// jitter 0.1) attempts wait about 1 s, 2 s, 4 s … and then an hour each, so 20 attempts
/// span roughly 12 hours — long enough to ride out an outage of the night's backup target.
public struct RetryPolicy: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    /// Fraction of the delay added or removed at random, so that jobs failing together do not
    /// retry together.
    public var jitter: Double

    public static let standard = RetryPolicy(base: .seconds(1), cap: .seconds(3600), jitter: 0.1)

    public init(base: Duration, cap: Duration, jitter: Double) {
        precondition(jitter >= 0 && jitter < 1, "jitter must be in [0, 1)")
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The wait after attempt `attempt` (1-based) failed; `random` is uniform in [0, 1).
    public func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 62)
        let baseSeconds = base.timeInterval
        let capSeconds = cap.timeInterval
        let raw = baseSeconds * Double(sign: .plus, exponent: exponent, significand: 1)
        let capped = min(capSeconds, raw)
        let factor = 1 - jitter + 2 * jitter * random
        return .nanoseconds(Int64((capped * factor * 1e9).rounded()))
    }

    public func delay(afterAttempt attempt: Int) -> Duration {
        delay(afterAttempt: attempt, random: Double.random(in: 0..<1))
    }
}
