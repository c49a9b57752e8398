import ArgumentParser
import Foundation
import JobQueue

/// The database flags every command that talks to Postgres shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL; default: $DATABASE_URL. Example: postgres://user:pass@localhost:5432/nightshift")
    var databaseURL: String?

    func resolvedURL() throws -> DatabaseURL {
        let text = databaseURL ?? Environment.value("DATABASE_URL")
        guard let text, !text.isEmpty else {
            throw ConfigurationError(
                "DATABASE_URL is not set: export DATABASE_URL=postgres://user:password@host:5432/database (or pass --database-url)")
        }
        return try DatabaseURL(parsing: text)
    }
}

/// The one place the process environment is read.
enum Environment {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name]
    }
}
