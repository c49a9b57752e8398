import ArgumentParser

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API: jobs, queues, schedules, extratos, backups, seed 000's service endpoints, /metrics.",
        discussion: """
            Every /api route needs Authorization: Bearer <JWT> (HS256, JWT_SECRET_KEY; see \
            `nightshift token create`). /healthz, /readyz, /metrics and /openapi.yaml need none. \
            Settings: API_HOST (127.0.0.1), API_PORT (8080), API_RATE_LIMIT_PER_MINUTE (120), \
            API_SERVICE_RATE_LIMIT_PER_MINUTE (30), API_SERVICE_MAX_WAIT_SECONDS (300). Runs until SIGTERM or SIGINT.
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to listen on (default: $API_HOST or 127.0.0.1).") var host: String?
    @Option(help: "Port (default: $API_PORT or 8080; 0 picks a free one).") var port: Int?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535, got \(port)") }
    }

    func run() async throws {
        var settings = try database.settings()
        if let host { settings.api.host = host }
        if let port { settings.api.port = port }
        let (host, logger) = (settings.api.host, Log.make("nightshift"))
        try await ProcessAssembly.run(ProcessPlan(api: true), settings: settings) { port in
            logger.info("API listening", metadata: ["address": "http://\(host):\(port)"])
        }
    }
}
