import BackOffice
import Database
import Foundation
import Logging
import NightshiftCore
import Scheduler

extension Settings {
    /// The one place the process environment is read. Each wrong value is an error that names
    /// its variable and says what it should look like.
    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = EnvironmentValue(environment: environment)
        database = try env.text("DATABASE_URL").map { text throws(ConfigurationError) in
            try DatabaseURL(parsing: text, setting: "DATABASE_URL", defaultUsername: env.text("USER") ?? "postgres")
        }

        logging = LogSettings()
        if let format = env.text("LOG_FORMAT") {
            guard ["text", "json"].contains(format.lowercased()) else {
                throw ConfigurationError("LOG_FORMAT=\(format) is not text or json", setting: "LOG_FORMAT")
            }
            logging.json = format.lowercased() == "json"
        }
        if let level = env.text("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError("LOG_LEVEL=\(level) is not one of trace, debug, info, notice, warning, error, critical", setting: "LOG_LEVEL")
            }
            logging.level = parsed
        }

        let zone = try env.timeZone("TZ", default: BackOfficeSettings.defaultTimeZone)
        backOffice = BackOfficeSettings(
            backupDirectory: URL(fileURLWithPath: env.text("BACKUP_DIR") ?? "backups"),
            requireBackup: try env.bool("EXTRATO_REQUIRE_BACKUP", default: true),
            timeZone: zone,
            branchTimeZone: try env.timeZone("BRANCH_TZ", default: zone))

        schedules = BackOfficeSchedules.Switches()
        schedules.monthlyExtrato = try env.bool("ENABLE_MONTHLY_EXTRATO_JOB", default: true)
        schedules.nightlyDump = try env.bool("ENABLE_NIGHTLY_DUMP_JOB", default: true)
        schedules.metricsPush = try env.bool("ENABLE_METRICS_PUSH_JOB", default: true)
        schedules.cloudPrune = try env.bool("ENABLE_CLOUD_PRUNE_JOB", default: true)
        scheduler = SchedulerSettings(timeZone: zone, keyNamespace: env.text("SCHEDULE_KEY_NAMESPACE"),
                                      schedulesFile: env.text("SCHEDULES_FILE"))

        migrationsDirectory = env.text("NIGHTSHIFT_MIGRATIONS_DIR").map { URL(fileURLWithPath: $0) }
    }

    /// The database URL, or an error saying how to give one.
    public func requireDatabase() throws(ConfigurationError) -> DatabaseURL {
        guard let database else {
            throw ConfigurationError(
                "DATABASE_URL is not set: export DATABASE_URL=postgres://user:password@host:5432/database (or pass --database-url)",
                setting: "DATABASE_URL")
        }
        return database
    }
}
