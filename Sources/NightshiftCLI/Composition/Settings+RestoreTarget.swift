import Database
import NightshiftCore

extension Settings {
    /// Refuses a `RESTORE_DATABASE_URL` that names the database `DATABASE_URL` or
    /// `DUMP_DATABASE_URL` names (break-dumps 11): the drill runs `pg_restore --clean
    /// --if-exists` into it, which would drop and recreate production's tables. Same server
    /// (host, loopback names and a local socket alike; port) and same database name.
    func checkRestoreTarget() throws(ConfigurationError) {
        guard let restore = backOffice.dumps.restoreDatabase else { return }
        for (name, other) in [("DATABASE_URL", database), ("DUMP_DATABASE_URL", backOffice.dumps.database)] {
            guard let other, Self.sameDatabase(restore, other) else { continue }
            throw ConfigurationError(
                "RESTORE_DATABASE_URL names the same database as \(name) (\(other)): the restore drill drops and recreates "
                    + "every table of RESTORE_DATABASE_URL, so it must be a database of its own (e.g. …/nightshift_drill); "
                    + "or unset RESTORE_DATABASE_URL to drill into a scratch database each time",
                setting: "RESTORE_DATABASE_URL")
        }
    }

    /// Host (lowercased; `localhost`, `127.0.0.1`, `::1` and a Unix socket all name this
    /// machine), port and database name.
    static func sameDatabase(_ a: DatabaseURL, _ b: DatabaseURL) -> Bool {
        func server(_ url: DatabaseURL) -> String {
            if url.socketDirectory != nil { return "this machine" }
            let host = url.host.lowercased().trimmingCharacters(in: ["[", "]"])
            return ["localhost", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1"].contains(host) ? "this machine" : host
        }
        return server(a) == server(b) && a.port == b.port && a.database == b.database
    }
}
