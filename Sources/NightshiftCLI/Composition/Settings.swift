import BackOffice
import Database
import Foundation
import Logging
import Scheduler

/// Every setting a Nightshift process reads, one plain struct per concern. Filled from the
/// environment once, at start-up (``init(environment:)``); commands then override single
/// values from their flags. The README's configuration table lists the same variables.
public struct Settings: Sendable {
    /// `DATABASE_URL`; nil when unset (commands that need it say so).
    public var database: DatabaseURL?
    public var logging: LogSettings
    public var backOffice: BackOfficeSettings
    public var schedules: BackOfficeSchedules.Switches
    public var scheduler: SchedulerSettings
    /// `NIGHTSHIFT_MIGRATIONS_DIR`: where `nightshift migrate` reads `NNNN_name.sql`.
    public var migrationsDirectory: URL?

    public struct LogSettings: Sendable, Equatable {
        /// `LOG_FORMAT`: `text` (default) or `json`, one object per line.
        public var json = false
        /// `LOG_LEVEL` (default `info`).
        public var level: Logger.Level = .info
    }
}
