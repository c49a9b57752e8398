/// A job as a worker holds it after claiming: enough to run and fence it.
public struct ClaimedJob: Sendable {
    public var id: Int64
    public var kind: String
    public var queue: String
    /// The arguments as JSON text.
    public var args: String
    /// The attempt number, which is also the fencing token of later writes.
    public var attempt: Int
    public var maxAttempts: Int

    public init(id: Int64, kind: String, queue: String, args: String, attempt: Int, maxAttempts: Int) {
        self.id = id
        self.kind = kind
        self.queue = queue
        self.args = args
        self.attempt = attempt
        self.maxAttempts = maxAttempts
    }
}
