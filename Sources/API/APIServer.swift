import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `nightshift serve`: the HTTP API on Hummingbird, a `Service` for the process's group.
public struct APIServer {
    public struct Settings: Sendable {
        /// `API_HOST` (default 127.0.0.1; 0.0.0.0 to listen on every interface).
        public var host = "127.0.0.1"
        /// `API_PORT` (default 8080; 0 picks a free port, for tests).
        public var port = 8080
        /// `API_RATE_LIMIT_PER_MINUTE` (120): requests per token subject per minute.
        public var rateLimitPerMinute = 120
        /// Seed 000's 30 a minute on the backup and extrato service endpoints.
        public var serviceRateLimitPerMinute = 30
        /// `API_SERVICE_MAX_WAIT_SECONDS` (300): the most a service call's `wait` waits.
        public var serviceMaximumWait = 300
        /// `DASHBOARD_LANG` (pt-BR): the dashboard's language, `pt-BR` or `en`.
        public var dashboardLanguage = DashboardLanguage.portuguese
        public init() {}
    }

    /// Every route, with the role it needs.
    public let routes: [RouteTable.Entry]
    let router: Router<APIContext>
    let settings: Settings
    let logger: Logger

    /// Throws only when a dashboard template compiled into the binary does not parse.
    public init(settings: Settings, authority: TokenAuthority, dependencies: APIDependencies) throws {
        let router = Router(context: APIContext.self)
        let known = KnownPaths()
        router.add(middleware: ErrorMiddleware(known: known, logger: dependencies.logger))
        let routes = RouteTable(router: router, authority: authority,
                                limits: (RateLimiter(perMinute: settings.rateLimitPerMinute),
                                         RateLimiter(perMinute: settings.serviceRateLimitPerMinute)))
        HealthRoutes(dependencies: dependencies).register(routes)
        BulkJobRoutes(dependencies: dependencies).register(routes)
        JobRoutes(dependencies: dependencies).register(routes)
        QueueRoutes(dependencies: dependencies).register(routes)
        ReadRoutes(dependencies: dependencies).register(routes)
        ServiceRoutes(dependencies: dependencies, maximumWait: settings.serviceMaximumWait).register(routes)
        try DashboardRoutes(dependencies: dependencies, authority: authority, language: settings.dashboardLanguage).register(router)
        known.set(routes.all)
        self.router = router
        self.routes = routes.all
        self.settings = settings
        self.logger = dependencies.logger
    }

    /// The application, ready to add to a `ServiceGroup`. `onRunning` gets the bound port.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "nightshift"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}

/// Turns anything a route throws into the API's JSON error, logging the ones that are ours. A
/// known path asked with a method it does not take is a 405 with `Allow`, not a 404.
struct ErrorMiddleware: RouterMiddleware {
    let known: KnownPaths
    let logger: Logger

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var answer = APIError.from(error)
            if answer.status == .notFound, (error as? HTTPError)?.status == .notFound {
                let allowed = known.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    answer = APIError(.methodNotAllowed, "method_not_allowed",
                                      "\(request.uri.path) takes \(allowed.joined(separator: ", ")): see /openapi.yaml")
                    answer.headers[.allow] = allowed.joined(separator: ", ")
                }
            }
            // A 503 is a state the caller is told about (readiness, a database that is down) and
            // that probes ask for every few seconds: logged at debug, not once per probe as an error.
            if answer.status.code >= 500 {
                logger.log(level: answer.status == .serviceUnavailable ? .debug : .error, "request failed", metadata: [
                    "path": "\(request.uri.path)", "status": "\(answer.status.code)", "error": "\(String(describing: error))",
                ])
            }
            return try answer.response(from: request, context: context)
        }
    }
}
