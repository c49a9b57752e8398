/// Something that happened to a job: the hook that logs, metrics and alerts subscribe to.
///
/// `started` and the ending events come from the worker that runs the attempt; `enqueued` from
/// the enqueue path (one event per kind and queue of a batch, with its count); a rescued job's
/// `failed` or `discarded` from the rescuer. `succeeded` means the handler returned: the
/// completion is written in the worker's next batch, fenced like every write of an attempt.
public struct JobEvent: Sendable {
    public enum Name: String, Sendable, CaseIterable {
        case enqueued, started, succeeded
        /// Failed; runs again after its backoff.
        case failed
        /// Failed for good: attempts used up, JobDiscard, unknown kind, bad arguments.
        case discarded
        /// Stopped at a person's request.
        case cancelled
        /// Returned to the queue at shutdown, not counted as an attempt.
        case handedBack = "handed_back"
        /// The handler said "not yet" (``JobSnooze``): scheduled again, not counted as an attempt.
        case snoozed
        /// The attempt was no longer running here (rescued or cancelled elsewhere): its writes
        /// were refused.
        case dropped
    }

    public var name: Name
    /// Nil for a batch of enqueues (see ``count``).
    public var jobID: Int64?
    public var kind: String
    public var queue: String
    public var attempt: Int
    public var maxAttempts: Int
    /// The arguments as JSON text, on `failed` and `discarded` (what an alert shows).
    public var args: String?
    /// Jobs this event stands for: more than one for a batch enqueue.
    public var count: Int
    /// How long the handler ran, on the ending events.
    public var duration: Duration?
    /// Why it failed, on `failed`, `discarded`, `dropped`.
    public var error: String?
    /// When a failed job runs again.
    public var retryIn: Duration?

    public init(
        _ name: Name, jobID: Int64?, kind: String, queue: String, attempt: Int = 0, maxAttempts: Int = 0,
        args: String? = nil, count: Int = 1, duration: Duration? = nil, error: String? = nil, retryIn: Duration? = nil
    ) {
        self.name = name
        self.jobID = jobID
        self.kind = kind
        self.queue = queue
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.args = args
        self.count = count
        self.duration = duration
        self.error = error
        self.retryIn = retryIn
    }

    init(_ name: Name, _ job: ClaimedJob, duration: Duration? = nil, error: String? = nil, retryIn: Duration? = nil) {
        let withArgs = name == .failed || name == .discarded
        self.init(name, jobID: job.id, kind: job.kind, queue: job.queue, attempt: job.attempt,
                  maxAttempts: job.maxAttempts, args: withArgs ? job.args : nil, duration: duration,
                  error: error, retryIn: retryIn)
    }
}
