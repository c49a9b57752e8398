import API
import BackOffice
import Database
import Foundation
import Logging
import ObjectStorage
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
    public var storage: StorageSettings
    public var api: APIServer.Settings
    /// `JWT_SECRET_KEY` (seed 000): signs and checks API tokens; `serve` refuses to start
    /// without one of at least 32 bytes.
    public var jwtSecret: String?
    /// `JWT_PREVIOUS_SECRET_KEY`: during a rotation, tokens signed with the old secret still
    /// verify (none is minted with it). Unset it once every caller has a new token.
    public var jwtPreviousSecret: String?
    /// `METRICS_PORT`: where `worker` and `scheduler` serve `/metrics` (off when unset);
    /// `METRICS_HOST` (default 127.0.0.1) the address.
    public var metricsPort: Int?
    public var metricsHost: String
    /// `ALERT_WEBHOOK_URL`: where a JSON alert goes when a job is discarded. Never logged.
    public var alertWebhook: URL?
    /// `NIGHTSHIFT_MIGRATIONS_DIR`: where `nightshift migrate` reads `NNNN_name.sql`.
    public var migrationsDirectory: URL?

    /// Where dumps, metrics and month-backup copies go.
    public struct StorageSettings: Sendable {
        /// `BACKUP_S3_ENDPOINT`, `BACKUP_S3_BUCKET`, `BACKUP_S3_ACCESS_KEY`, `BACKUP_S3_SECRET_KEY`,
        /// `BACKUP_S3_REGION` (seed 004's names); nil when none is set: local-only mode.
        public var s3: S3Configuration?
        /// `BACKUP_STORE_DIR` (default `{BACKUP_DIR}/store`): the folder that stands for the
        /// bucket in local-only mode, with the bucket's layout (a mounted disk elsewhere is best).
        public var directory: URL
    }

    public struct LogSettings: Sendable, Equatable {
        /// `LOG_FORMAT`: `text` (default) or `json`, one object per line.
        public var json = false
        /// `LOG_LEVEL` (default `info`).
        public var level: Logger.Level = .info
    }
}
