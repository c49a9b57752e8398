import PostgresNIO

/// Turns driver errors into one line a person can act on, without secrets.
public enum DatabaseErrorMessage {
    public static func describe(_ error: any Error, url: DatabaseURL? = nil) -> String {
        var text: String
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                text = message
                if let detail = psql.serverInfo?[.detail] { text += " (\(detail))" }
                if let code = psql.serverInfo?[.sqlState] { text += " [SQLSTATE \(code)]" }
            } else if let underlying = psql.underlying {
                text = "\(psql.code): \(underlying)"
            } else {
                text = "\(psql.code)"
            }
        } else {
            text = "\(error)"
        }
        return url?.redacting(text) ?? text
    }

    /// The SQLSTATE a server error carries, if any.
    public static func sqlState(_ error: any Error) -> String? {
        if let libpq = error as? LibPQError { return libpq.sqlState }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Whether the error means the database could not be reached (or went away), rather than
    /// that it refused a statement: worth a retry, and a 503 rather than a 500.
    public static func isUnavailable(_ error: any Error) -> Bool {
        if let libpq = error as? LibPQError { return libpq.isConnectionFailure }
        guard let psql = error as? PSQLError else { return false }
        guard let state = psql.serverInfo?[.sqlState] else { return true }
        // Class 08: connection exception; 57P0x: the server is shutting down or restarting.
        return state.hasPrefix("08") || state.hasPrefix("57P")
    }
}
