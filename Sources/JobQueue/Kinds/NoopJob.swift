/// Does nothing: for health checks and benchmarks.
public struct NoopJob: JobKind {
    public struct Args: Codable, Sendable {
        public init() {}
    }
    public static let kind = "noop"
    public static let timeout: Duration? = nil
    public init() {}
    public func run(_ args: Args, context: JobContext) async throws {}
}
