import ArgumentParser

struct Nightshift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightshift",
        abstract: "A durable job queue on PostgreSQL for a small business's back-office jobs.",
        discussion: """
            Environment: DATABASE_URL (postgres://user:password@host:5432/db?sslmode=prefer), \
            LOG_FORMAT (text|json), LOG_LEVEL (trace|debug|info|notice|warning|error). \
            Month close: TZ, BACKUP_DIR, EXTRATO_REQUIRE_BACKUP. \
            Dumps and metrics: BRANCH_ID, BRANCH_NAME, CURRENCY, BACKUP_S3_ENDPOINT, BACKUP_S3_BUCKET, \
            BACKUP_S3_ACCESS_KEY, BACKUP_S3_SECRET_KEY, BACKUP_S3_REGION, BACKUP_STORE_DIR, BACKUP_RETENTION_DAYS, \
            BACKUP_CLOUD_RETENTION_DAYS, BACKUP_MIN_KEEP, DUMP_DATABASE_URL, RESTORE_DATABASE_URL, PG_BIN_DIR. \
            Encryption: BACKUP_AGE_RECIPIENTS, BACKUP_AGE_IDENTITY_FILE. \
            Scheduler: TZ, BRANCH_TZ, SCHEDULES_FILE, ENABLE_MONTHLY_EXTRATO_JOB, ENABLE_NIGHTLY_DUMP_JOB, \
            ENABLE_METRICS_PUSH_JOB, ENABLE_CLOUD_PRUNE_JOB, ENABLE_RESTORE_DRILL_JOB, SCHEDULE_KEY_NAMESPACE. \
            API: JWT_SECRET_KEY, JWT_PREVIOUS_SECRET_KEY, API_HOST, API_PORT, API_RATE_LIMIT_PER_MINUTE, API_SERVICE_RATE_LIMIT_PER_MINUTE, API_SERVICE_MAX_WAIT_SECONDS, DASHBOARD_LANG. \
            Monitoring: METRICS_PORT, METRICS_HOST, ALERT_WEBHOOK_URL. \
            The README's configuration table has every variable with its default.
            """,
        version: NightshiftVersion.description,
        subcommands: [
            MigrateCommand.self,
            EnqueueCommand.self,
            WorkerCommand.self,
            JobsCommand.self,
            QueueCommand.self,
            SchedulerCommand.self,
            ServeCommand.self,
            TokenCommand.self,
            SchedulesCommand.self,
            BackupCommand.self,
            BackupsCommand.self,
            ExtratoCommand.self,
            DemoCommand.self,
            BenchCommand.self,
        ]
    )
}
