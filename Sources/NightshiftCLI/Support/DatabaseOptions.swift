import ArgumentParser
import Database
import Foundation
import NightshiftCore

/// The database flag every command that talks to Postgres shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL; default: $DATABASE_URL. Example: postgres://user:pass@localhost:5432/nightshift")
    var databaseURL: String?

    /// The settings from the environment, with `--database-url` applied.
    func settings() throws -> Settings {
        var settings = try Launch.settings()
        if let databaseURL {
            settings.database = try DatabaseURL(parsing: databaseURL, setting: "--database-url")
            try settings.checkRestoreTarget()
        }
        return settings
    }
}
