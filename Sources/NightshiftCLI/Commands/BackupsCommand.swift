import ArgumentParser

struct BackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups",
        abstract: "Database dumps: list and show backup_history, make a dump, drill, restore, prune.",
        discussion: """
            Dumps are pg_dump -Fc files at {BACKUP_DIR}/dumps/{branch}_{YYYYMMDD_HHMMSS}.dump, copied to \
            {branch}/backups/ in the bucket (BACKUP_S3_*) or, with no bucket, in BACKUP_STORE_DIR. \
            Each attempt is a row in backup_history with its SHA-256 and every table's row count.
            """,
        subcommands: [BackupsListCommand.self, BackupsShowCommand.self, BackupsCreateCommand.self, BackupsDrillCommand.self,
                      BackupsRestoreCommand.self, BackupsPruneCommand.self]
    )
}
