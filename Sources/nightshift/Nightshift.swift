import ArgumentParser

@main
struct Nightshift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightshift",
        abstract: "A durable job queue on PostgreSQL for a small business's back-office jobs.",
        discussion: """
            Environment: DATABASE_URL (postgres://user:password@host:5432/db?sslmode=prefer), \
            LOG_FORMAT (text|json), LOG_LEVEL (trace|debug|info|notice|warning|error).
            """,
        subcommands: [
            MigrateCommand.self,
            EnqueueCommand.self,
            WorkerCommand.self,
            JobsCommand.self,
            QueueCommand.self,
            BenchCommand.self,
        ]
    )
}
