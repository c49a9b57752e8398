import Foundation
import NightshiftCore

/// What the scheduler itself needs: the zone of schedules that name none, and the namespace of
/// their unique keys. Filled from the environment by the process's composition root.
public struct SchedulerSettings: Sendable, Equatable {
    /// Zone of a schedules-file entry without `timezone:` (`TZ`).
    public var timeZone: TimeZone
    /// Prefix for unique keys when several deployments share one database (`SCHEDULE_KEY_NAMESPACE`).
    public var keyNamespace: String?
    /// `SCHEDULES_FILE`: YAML that overrides or adds schedules.
    public var schedulesFile: String?

    public init(timeZone: TimeZone, keyNamespace: String? = nil, schedulesFile: String? = nil) {
        self.timeZone = timeZone
        self.keyNamespace = keyNamespace
        self.schedulesFile = schedulesFile
    }
}

/// A schedule setting or schedules file is wrong; the message names the field.
public struct ScheduleConfigurationError: NightshiftError, Equatable {
    public var message: String
    /// The environment variable at fault, when one is (`SCHEDULES_FILE`, `TZ`).
    public var setting: String?
    public init(_ message: String, setting: String? = nil) {
        self.message = message
        self.setting = setting
    }
    public var description: String { message }
    public var category: ErrorCategory { .misconfigured(setting: setting) }
}
