import API
import BackOffice
import Database
import Foundation
import Logging
import NightshiftCore
import ObjectStorage
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
        let branchID = env.text("BRANCH_ID") ?? BranchSettings.defaultID
        guard BranchSettings.isValidID(branchID) else {
            throw ConfigurationError("BRANCH_ID=\(branchID) must be letters, digits, '-', '_' or '.', starting with a letter or digit (it is the first part of every object key and dump file name), e.g. branch-andheri", setting: "BRANCH_ID")
        }
        backOffice = BackOfficeSettings(
            backupDirectory: URL(fileURLWithPath: env.text("BACKUP_DIR") ?? "backups"),
            requireBackup: try env.bool("EXTRATO_REQUIRE_BACKUP", default: true),
            timeZone: zone,
            branchTimeZone: try env.timeZone("BRANCH_TZ", default: zone),
            branchID: branchID)
        backOffice.branch.name = env.text("BRANCH_NAME") ?? branchID
        backOffice.branch.currency = env.text("CURRENCY") ?? "BRL"
        guard backOffice.branch.currency.count == 3, backOffice.branch.currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw ConfigurationError("CURRENCY=\(backOffice.branch.currency) is not an ISO 4217 code like BRL", setting: "CURRENCY")
        }
        let defaultUser = env.text("USER") ?? "postgres"
        backOffice.dumps.database = try env.text("DUMP_DATABASE_URL").map { text throws(ConfigurationError) in
            try DatabaseURL(parsing: text, setting: "DUMP_DATABASE_URL", defaultUsername: defaultUser)
        }
        backOffice.dumps.restoreDatabase = try env.text("RESTORE_DATABASE_URL").map { text throws(ConfigurationError) in
            try DatabaseURL(parsing: text, setting: "RESTORE_DATABASE_URL", defaultUsername: defaultUser)
        }
        backOffice.dumps.localRetentionDays = try env.integer("BACKUP_RETENTION_DAYS", default: 7, in: 1...3650)
        backOffice.dumps.cloudRetentionDays = try env.integer("BACKUP_CLOUD_RETENTION_DAYS", default: 90, in: 1...36500)
        backOffice.dumps.minimumKept = try env.integer("BACKUP_MIN_KEEP", default: 3, in: 1...1000)
        backOffice.dumps.postgresBinDirectory = env.text("PG_BIN_DIR")
        do {
            backOffice.encryption = try BackupEncryption.parse(recipients: env.text("BACKUP_AGE_RECIPIENTS"),
                                                               identityFile: env.text("BACKUP_AGE_IDENTITY_FILE"))
        } catch {
            guard case .invalid(let setting, _) = error else { throw ConfigurationError("\(error)", setting: nil) }
            throw ConfigurationError("\(error)", setting: setting)
        }
        storage = StorageSettings(
            s3: try Self.s3(env),
            directory: env.text("BACKUP_STORE_DIR").map { URL(fileURLWithPath: $0) }
                ?? backOffice.backupDirectory.appendingPathComponent("store", isDirectory: true))

        schedules = BackOfficeSchedules.Switches()
        schedules.monthlyExtrato = try env.bool("ENABLE_MONTHLY_EXTRATO_JOB", default: true)
        schedules.nightlyDump = try env.bool("ENABLE_NIGHTLY_DUMP_JOB", default: true)
        schedules.metricsPush = try env.bool("ENABLE_METRICS_PUSH_JOB", default: true)
        schedules.cloudPrune = try env.bool("ENABLE_CLOUD_PRUNE_JOB", default: true)
        schedules.restoreDrill = try env.bool("ENABLE_RESTORE_DRILL_JOB", default: true)
        scheduler = SchedulerSettings(timeZone: zone, keyNamespace: env.text("SCHEDULE_KEY_NAMESPACE"),
                                      schedulesFile: env.text("SCHEDULES_FILE"))

        migrationsDirectory = env.text("NIGHTSHIFT_MIGRATIONS_DIR").map { URL(fileURLWithPath: $0) }

        api = APIServer.Settings()
        api.host = env.text("API_HOST") ?? api.host
        api.port = try env.integer("API_PORT", default: api.port, in: 0...65535)
        api.rateLimitPerMinute = try env.integer("API_RATE_LIMIT_PER_MINUTE", default: api.rateLimitPerMinute, in: 1...1_000_000)
        api.serviceRateLimitPerMinute = try env.integer("API_SERVICE_RATE_LIMIT_PER_MINUTE", default: api.serviceRateLimitPerMinute,
                                                        in: 1...1_000_000)
        api.serviceMaximumWait = try env.integer("API_SERVICE_MAX_WAIT_SECONDS", default: api.serviceMaximumWait, in: 0...3_600)
        if let text = env.text("DASHBOARD_LANG") {
            guard let language = DashboardLanguage(setting: text) else {
                throw ConfigurationError("DASHBOARD_LANG is '\(text)'; use pt-BR (the default) or en", setting: "DASHBOARD_LANG")
            }
            api.dashboardLanguage = language
        }
        jwtSecret = env.text("JWT_SECRET_KEY")
        jwtPreviousSecret = env.text("JWT_PREVIOUS_SECRET_KEY")
        metricsPort = try env.text("METRICS_PORT").map { _ throws(ConfigurationError) in try env.integer("METRICS_PORT", default: 0, in: 0...65535) }
        metricsHost = env.text("METRICS_HOST") ?? "127.0.0.1"
        if let text = env.text("ALERT_WEBHOOK_URL") {
            // The URL often holds a token: the message does not repeat it.
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError("ALERT_WEBHOOK_URL is not an http(s) URL", setting: "ALERT_WEBHOOK_URL")
            }
            alertWebhook = url
        } else {
            alertWebhook = nil
        }
        try checkRestoreTarget()
    }

    /// Seed 004's `BACKUP_S3_*`: none set is local-only mode; some set needs the rest.
    private static func s3(_ env: EnvironmentValue) throws(ConfigurationError) -> S3Configuration? {
        let names = ["BACKUP_S3_ENDPOINT", "BACKUP_S3_BUCKET", "BACKUP_S3_ACCESS_KEY", "BACKUP_S3_SECRET_KEY"]
        guard names.contains(where: { env.text($0) != nil }) else { return nil }
        for name in names.dropFirst() where env.text(name) == nil {
            throw ConfigurationError("\(name) is not set but other BACKUP_S3_* settings are: set it too, or unset them all for local-only backups", setting: name)
        }
        var endpoint: URL?
        if let text = env.text("BACKUP_S3_ENDPOINT") {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError("BACKUP_S3_ENDPOINT=\(text) is not a URL like https://s3.us-west-004.backblazeb2.com", setting: "BACKUP_S3_ENDPOINT")
            }
            endpoint = url
        }
        let bucket = env.text("BACKUP_S3_BUCKET")!
        guard (3...63).contains(bucket.count), bucket.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "-.".contains($0)) }) else {
            throw ConfigurationError("BACKUP_S3_BUCKET=\(bucket) is not a bucket name (3-63 lowercase letters, digits, '-' or '.')", setting: "BACKUP_S3_BUCKET")
        }
        var configuration = S3Configuration(
            endpoint: endpoint, bucket: bucket, region: env.text("BACKUP_S3_REGION") ?? S3Configuration.defaultRegion,
            credentials: AWSCredentials(accessKeyID: env.text("BACKUP_S3_ACCESS_KEY")!, secretAccessKey: env.text("BACKUP_S3_SECRET_KEY")!))
        configuration.partSize = try env.integer("BACKUP_S3_PART_SIZE_MB", default: 8, in: 5...512) * 1024 * 1024
        configuration.partsInFlight = try env.integer("BACKUP_S3_CONCURRENCY", default: configuration.partsInFlight, in: 1...32)
        return configuration
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
