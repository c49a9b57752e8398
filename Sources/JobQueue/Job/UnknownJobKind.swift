import NightshiftCore

/// A claimed job whose kind no handler in this worker knows. The job is discarded; it can run
/// once a worker that knows the kind is deployed.
public struct UnknownJobKind: NightshiftError {
    public var kind: String
    public var jobID: Int64
    public var description: String {
        "unknown job kind '\(kind)': no handler is registered for it in this worker; deploy a worker that knows it"
    }
    public var category: ErrorCategory { .invalidInput(field: "kind") }
    public var remedy: Remedy? { .retryJob(id: jobID) }
}
