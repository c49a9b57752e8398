import Foundation
import Logging
import NightshiftCore

/// Logs job events: the worker's account of each job, one subscriber among others. Starts and
/// successes are debug-level, so a busy worker logs only what a person needs to see.
public struct JobEventLogger: JobEventSubscriber {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func receives(_ name: JobEvent.Name) -> Bool {
        logger.logLevel <= Self.line(name).level
    }

    public func receive(_ event: JobEvent) {
        let (level, message) = Self.line(event.name)
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = ["kind": "\(event.kind)", "queue": "\(event.queue)"]
        if let id = event.jobID { metadata["job_id"] = "\(id)" }
        if event.attempt > 0 { metadata["attempt"] = "\(event.attempt)" }
        if event.count > 1 { metadata["count"] = "\(event.count)" }
        if let error = event.error { metadata["error"] = "\(error)" }
        if let retryIn = event.retryIn { metadata["retry_in_ms"] = "\(Self.milliseconds(retryIn))" }
        if let duration = event.duration, event.name != .started { metadata["duration_ms"] = "\(Self.milliseconds(duration))" }
        logger.log(level: level, message, metadata: metadata)
    }

    /// Each event's level and message.
    static func line(_ name: JobEvent.Name) -> (level: Logger.Level, message: Logger.Message) {
        switch name {
        case .enqueued: (.debug, "job enqueued")
        case .started: (.debug, "job started")
        case .succeeded: (.debug, "job succeeded")
        case .failed: (.warning, "job failed, will retry")
        case .discarded: (.error, "job discarded")
        case .cancelled: (.info, "job cancelled while running")
        case .handedBack: (.info, "handed back at shutdown")
        case .snoozed: (.info, "job snoozed: runs again later, not counted as an attempt")
        case .dropped: (.warning, "attempt dropped: the database no longer shows it running here (rescued or cancelled)")
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.timeInterval * 1000)
    }
}
