/// The connection parameters libpq takes for a ``DatabaseURL``, written once for the two ways
/// they travel: a connection string for this process's own libpq connections, and `PG*`
/// environment variables for child processes (pg_dump, pg_restore, psql), so a password never
/// appears on a command line.
public struct LibPQParameters: Sendable, Equatable {
    /// `(keyword, value)` in libpq's keywords: host, port, user, dbname, sslmode, password…
    public var pairs: [(String, String)]

    /// `settings` are server parameters for this session alone, sent in the startup packet
    /// (libpq's `options`, `-c name=value`): unlike `SET`, they cannot outlive the session on a
    /// pooled server connection. Names and values must be plain words (`enable_seqscan`, `off`).
    public init(_ url: DatabaseURL, applicationName: String, settings: [(String, String)] = []) {
        pairs = [
            ("host", url.socketDirectory ?? url.host), ("port", String(url.port)), ("user", url.username),
            ("dbname", url.database), ("sslmode", url.sslMode.rawValue), ("application_name", applicationName),
            // A vanished server becomes an error within a minute instead of a hang.
            ("connect_timeout", "15"),
        ]
        if let password = url.password { pairs.append(("password", password)) }
        if !settings.isEmpty { pairs.append(("options", settings.map { "-c \($0.0)=\($0.1)" }.joined(separator: " "))) }
    }

    /// `host='db' port='5432' …`, quoted as libpq requires, with TCP keepalives on.
    public var connectionString: String {
        func quoted(_ value: String) -> String {
            "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        let keepalives = [("keepalives", "1"), ("keepalives_idle", "15"), ("keepalives_interval", "5"), ("keepalives_count", "4")]
        return (pairs + keepalives).map { "\($0.0)=\(quoted($0.1))" }.joined(separator: " ")
    }

    /// `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`
    /// and `PGPASSWORD`: what a child process needs to reach the database with no arguments.
    public var environment: [String: String] {
        let names = [
            "host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "dbname": "PGDATABASE", "sslmode": "PGSSLMODE",
            "application_name": "PGAPPNAME", "connect_timeout": "PGCONNECT_TIMEOUT", "password": "PGPASSWORD",
        ]
        var environment: [String: String] = [:]
        for (keyword, value) in pairs { if let name = names[keyword] { environment[name] = value } }
        return environment
    }

    public static func == (a: LibPQParameters, b: LibPQParameters) -> Bool {
        a.pairs.elementsEqual(b.pairs) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}
