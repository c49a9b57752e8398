/// What one `nightshift bench` run does: sizes, worker flags and the optional growth steps. The
/// CLI's `bench` command fills it from its flags (their help says what each means).
public struct BenchSettings: Sendable {
    /// The `nightshift` binary whose `worker` command the bench starts as child processes.
    public var executable: String
    public var jobs = 100_000
    public var batchSize = 1_000
    public var singleJobs = 5_000
    public var enqueuers = 8
    public var workers = 2
    public var concurrency = 200
    public var claimBatch = 50
    public var claimers = 2
    public var latencyJobs = 2_000
    public var latencyRate = 200
    public var pgbenchClients = 4
    public var rounds = 5
    public var history = 0
    public var scheduled = 0
    public var pruneHistory = false
    public var bloatJobs = 0

    public init(executable: String) {
        self.executable = executable
    }
}

/// A benchmark step that could not go on (a timeout, pgbench missing or failing).
public struct BenchFailure: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
