/// Does nothing: for health checks and benchmarks. It takes any arguments (a health check's
/// marker, a benchmark's sequence number) and ignores them.
public struct NoopJob: JobKind {
    public struct Args: Codable, Sendable, FreeFormJobArgs {
        public init() {}
    }
    public static let kind = "noop"
    public static let timeout: Duration? = nil
    public init() {}
    public func run(_ args: Args, context: JobContext) async throws {}
}

/// ``NoopJob`` with a global limit of 1,000 running (never reached by the benchmark's workers):
/// what claiming a kind through the limited path costs (`nightshift bench`).
public struct LimitedNoopJob: JobKind {
    public typealias Args = NoopJob.Args
    public static let kind = "noop-limited"
    public static let timeout: Duration? = nil
    public static var limit: KindLimit? { .global(1_000) }
    public init() {}
    public func run(_ args: Args, context: JobContext) async throws {}
}
