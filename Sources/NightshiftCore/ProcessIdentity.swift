import Foundation

/// How this process names itself in the database: `host/pid`, in `jobs.locked_by`, job errors
/// and `scheduler_slots.enqueued_by`.
public enum ProcessIdentity {
    public static var hostAndPID: String {
        "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)"
    }
}
