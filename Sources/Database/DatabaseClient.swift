import Logging
import NIOSSL
import PostgresNIO

/// The one place that turns a ``DatabaseURL`` into a `PostgresClient`.
public enum DatabaseClient {
    public static func make(
        _ url: DatabaseURL, maximumConnections: Int = 10, applicationName: String = "nightshift",
        logger: Logger
    ) -> PostgresClient {
        var configuration: PostgresClient.Configuration
        if let socketDirectory = url.socketDirectory {
            configuration = .init(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(url.port)",
                username: url.username, password: url.password, database: url.database)
        } else {
            configuration = .init(
                host: url.host, port: url.port, username: url.username, password: url.password,
                database: url.database, tls: tls(for: url.sslMode))
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// What an `sslmode` asks of TLS, for the pool and for a lone connection alike.
    enum TLSChoice {
        case disable
        case prefer(TLSConfiguration)
        case require(TLSConfiguration)
    }

    static func tlsChoice(for mode: DatabaseURL.SSLMode) -> TLSChoice {
        switch mode {
        case .disable:
            return .disable
        case .allow, .prefer:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return .prefer(tls)
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return .require(tls)
        case .verifyCA:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case .verifyFull:
            return .require(.makeClientConfiguration())
        }
    }

    static func tls(for mode: DatabaseURL.SSLMode) -> PostgresClient.Configuration.TLS {
        switch tlsChoice(for: mode) {
        case .disable: .disable
        case .prefer(let configuration): .prefer(configuration)
        case .require(let configuration): .require(configuration)
        }
    }
}
