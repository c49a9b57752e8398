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
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
