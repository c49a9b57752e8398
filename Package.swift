// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// Modules, lowest first; each depends only on those above it (see README, "Layout"):
//   NightshiftCore   typed errors and remedies, durations, process identity, progress — no I/O
//   Cron             cron expressions, calendar dates and months in a zone — pure
//   Database         URLs, the client factory, libpq sessions and COPY, transactions, migrator
//   ObjectStorage    S3-compatible client (SigV4, multipart) and a local-folder store
//   Age              the age v1 file format (X25519 recipients), streaming, on swift-crypto
//   JobQueue         jobs, kinds, the store's queries, the worker, maintenance, job events
//   Scheduler        schedules, slots, the scheduler service
//   BackOffice       the business's jobs (month backup and close, dumps, drills, metrics, prune)
//                    and when each safety net last succeeded (their schedules are the
//                    composition root's, in NightshiftCLI)
//   Monitoring       metrics (swift-metrics + Prometheus), state gauges (the safety nets' readings
//                    are BackOffice's), the failure-alert webhook
//   API              the HTTP API (Hummingbird): JWT auth, routes, the OpenAPI document; the dashboard
//                    (swift-mustache templates, a pt-BR and an English catalog)
//   Bench            `nightshift bench`'s runs: enqueue, drain, latency, the raw-SQL limits, growth
//   NightshiftCLI    the composition root (Settings, the services a process runs) and commands
//   nightshift       the executable: one call into NightshiftCLI
// The dashboard's page templates and its language catalogs, compiled into the binary. The names
// are those of `Template` (Sources/API/Dashboard/Template.swift); a test checks the two agree.
let dashboardTemplates = [
    "layout", "sign-in", "message", "home", "jobs", "bulk-confirm", "job", "queues", "schedules", "backups", "backup",
    "extratos", "branches", "chart", "button", "state",
]
let dashboardResources: [Resource] = dashboardTemplates.map { .embedInCode("Dashboard/Templates/\($0).mustache") }
    + ["pt-BR", "en"].map { .embedInCode("Dashboard/Catalogs/catalog-\($0).json") }

let package = Package(
    name: "nightshift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nightshift", targets: ["nightshift"]),
        .library(name: "JobQueue", targets: ["JobQueue"]),
        .library(name: "Cron", targets: ["Cron"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .target(
            name: "NightshiftCore",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Cron",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "Database",
            dependencies: [
                "NightshiftCore", "CLibPQ",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ObjectStorage",
            dependencies: [
                "NightshiftCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Age",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "JobQueue",
            dependencies: [
                "NightshiftCore", "Database",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Scheduler",
            dependencies: [
                "NightshiftCore", "Cron", "Database", "JobQueue",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BackOffice",
            dependencies: [
                "NightshiftCore", "Cron", "Database", "JobQueue", "ObjectStorage", "Age",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Monitoring",
            dependencies: [
                "NightshiftCore", "Database", "JobQueue", "BackOffice", "Scheduler",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "API",
            dependencies: [
                "NightshiftCore", "Database", "JobQueue", "Scheduler", "BackOffice", "Monitoring", "ObjectStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.embedInCode("openapi.yaml")] + dashboardResources,
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Bench",
            dependencies: [
                "Database", "JobQueue",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("MinimalQueueTable.sql")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "NightshiftCLI",
            dependencies: [
                "NightshiftCore", "Cron", "Database", "JobQueue", "Scheduler", "BackOffice", "ObjectStorage", "Monitoring", "API", "Age",
                "Bench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "nightshift",
            dependencies: ["NightshiftCLI"],
            swiftSettings: swiftSettings
        ),

        // Tests. TestSupport: the test database, harnesses, factories and the tests' own job
        // kinds; nightshift-test-worker: the real CLI plus those kinds, for crash tests.
        .target(
            name: "TestSupport",
            dependencies: [
                "NightshiftCore", "Database", "JobQueue", "ObjectStorage", "BackOffice", "NightshiftCLI",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "nightshift-test-worker",
            dependencies: ["NightshiftCLI", "TestSupport"],
            path: "Tests/TestWorker",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CronTests",
            dependencies: ["Cron"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ObjectStorageTests",
            dependencies: ["ObjectStorage", "NightshiftCore", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AgeTests",
            dependencies: ["Age", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DatabaseTests",
            dependencies: ["Database", "NightshiftCore", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JobQueueTests",
            dependencies: ["JobQueue", "Database", "NightshiftCore", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BackOfficeTests",
            dependencies: ["BackOffice", "JobQueue", "Database", "NightshiftCore", "Scheduler", "ObjectStorage", "Cron", "Age", "TestSupport",
                           "NightshiftCLI",
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: ["Scheduler", "Cron", "JobQueue", "BackOffice", "ObjectStorage", "Database", "TestSupport", "NightshiftCLI",
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "Monitoring", "BackOffice", "Scheduler", "JobQueue", "Database", "NightshiftCore", "TestSupport", "NightshiftCLI",
                "ObjectStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NightshiftCLITests",
            dependencies: ["NightshiftCLI", "API", "Bench", "BackOffice", "JobQueue", "Database", "NightshiftCore", "TestSupport",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Yams", package: "Yams"),
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
    ]
)
