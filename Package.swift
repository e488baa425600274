// swift-tools-version:6.2
import PackageDescription

// The compiler holds the layers: every target below lists exactly what it may import.
// Domain imports nothing but Foundation; Ports only Domain; Application only Domain and
// Ports. A driver type (PostgresNIO, NIO, a C shim) cannot cross a port, because those
// targets cannot even name it. `scripts/check-layers.sh` checks this in CI as well.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Every product a target names, declared once.
let product = (
    argumentParser: Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser"),
    asyncHTTPClient: Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client"),
    crypto: Target.Dependency.product(name: "Crypto", package: "swift-crypto"),
    hummingbird: Target.Dependency.product(name: "Hummingbird", package: "hummingbird"),
    hummingbirdBcrypt: Target.Dependency.product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
    hummingbirdTesting: Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird"),
    logging: Target.Dependency.product(name: "Logging", package: "swift-log"),
    metrics: Target.Dependency.product(name: "Metrics", package: "swift-metrics"),
    nioCore: Target.Dependency.product(name: "NIOCore", package: "swift-nio"),
    nioPosix: Target.Dependency.product(name: "NIOPosix", package: "swift-nio"),
    nioSSL: Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl"),
    otel: Target.Dependency.product(name: "OTel", package: "swift-otel"),
    postgresNIO: Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio"),
    prometheus: Target.Dependency.product(name: "Prometheus", package: "swift-prometheus"),
    serviceLifecycle: Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    tracing: Target.Dependency.product(name: "Tracing", package: "swift-distributed-tracing"),
    unixSignals: Target.Dependency.product(name: "UnixSignals", package: "swift-service-lifecycle")
)

let package = Package(
    name: "cloudtask",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Domain", targets: ["Domain"]),
        .library(name: "Ports", targets: ["Ports"]),
        .library(name: "Application", targets: ["Application"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // TLS for SMTP (STARTTLS and implicit TLS); already in the graph through PostgresNIO.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // The S3 adapter's HTTP client (already in the graph through HummingbirdTesting).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Tracing (docs/tracing.md): the API every layer outside the core records spans
        // with, and the OTLP exporter behind it. OTLP over HTTP/protobuf only: the gRPC
        // trait would add grpc-swift and minutes to every build.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(name: "Domain", swiftSettings: strictSettings),
        .target(name: "Ports", dependencies: ["Domain"], swiftSettings: strictSettings),
        .target(name: "Application", dependencies: ["Domain", "Ports"], swiftSettings: strictSettings),
        // The HTTP contract's job types, shared by the API and the `cloudtask` client.
        .target(name: "APIModels", swiftSettings: strictSettings),
        // Spans and W3C trace context for the layers outside the core; off (and free)
        // unless the process bootstraps an exporter.
        .target(name: "Telemetry", dependencies: ["Domain", product.tracing], swiftSettings: strictSettings),
        .target(name: "CSpawn"),
        // The first process of a job's box (docs/isolation.md): install it beside cloudtask-worker.
        // Freestanding and static (its main.c says why): no C library, no loader, and the
        // static Swift runtime is named only so that swiftc's link step finds no shared one.
        .executableTarget(
            name: "cloudtask-box-init",
            cSettings: [.unsafeFlags(["-ffreestanding", "-fno-stack-protector", "-fno-builtin", "-fno-pic"])],
            linkerSettings: [
                .unsafeFlags(["-static-executable", "-Xclang-linker", "-nostdlib", "-Xclang-linker", "-nostartfiles"])
            ]
        ),
        .target(name: "CRabbitMQ", linkerSettings: [.linkedLibrary("rabbitmq")]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .target(
            name: "Infrastructure",
            dependencies: [
                "Domain", "Ports", "Application", "Telemetry", "CSpawn", "CHiredis", "CRabbitMQ", "CMalloc", "CQRencode",
                product.asyncHTTPClient,
                product.hummingbirdBcrypt,
                product.tracing,
                product.crypto,
                product.nioCore,
                product.nioPosix,
                product.nioSSL,
                product.logging,
                product.postgresNIO,
                product.metrics,
                product.serviceLifecycle,
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HTTP",
            dependencies: [
                "Domain", "Ports", "Application", "APIModels", "Telemetry",
                product.hummingbird,
                product.tracing,
                product.serviceLifecycle,
                product.metrics,
            ],
            resources: [
                .embedInCode("openapi.json"),
                .embedInCode("Dashboard/index.html"), .embedInCode("Dashboard/app.js"),
                .embedInCode("Dashboard/account.js"), .embedInCode("Dashboard/style.css"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Consumers",
            dependencies: [
                "Domain", "Ports", "Application", "Telemetry",
                product.tracing,
                product.serviceLifecycle,
                product.logging,
                product.metrics,
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Runtime",
            dependencies: [
                "Domain", "Ports", "Application", "Infrastructure", "Consumers", "Telemetry",
                product.serviceLifecycle,
                product.unixSignals,
                product.otel,
                product.tracing,
                product.prometheus,
                product.metrics,
                product.logging,
                product.postgresNIO,
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "cloudtask-worker",
            dependencies: [
                "Ports", "Application", "Infrastructure", "Consumers", "Runtime",
                product.hummingbird, product.serviceLifecycle, product.argumentParser, product.logging,
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "cloudtask-api",
            dependencies: [
                "Domain", "Ports", "Application", "Infrastructure", "HTTP", "Consumers", "Runtime",
                product.hummingbird, product.serviceLifecycle, product.argumentParser, product.logging,
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "cloudtask",
            dependencies: ["APIModels", product.argumentParser, product.crypto],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "cloudtask-bench",
            dependencies: [
                "Domain", "Ports", "Infrastructure", "CMalloc",
                product.argumentParser,
                product.logging,
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "FuzzSupport", path: "Tests/FuzzSupport", swiftSettings: strictSettings),
        // Helper processes for tests (a real SMTP server, a silent one).
        .target(name: "TestHelpers", path: "Tests/TestHelpers", swiftSettings: strictSettings),
        .testTarget(name: "DomainTests", dependencies: ["Domain"], swiftSettings: strictSettings),
        .testTarget(
            name: "ApplicationTests",
            dependencies: [
                "Domain", "Ports", "Application", "Infrastructure", "Consumers", "Runtime", "Telemetry", "FuzzSupport",
                product.logging,
                product.serviceLifecycle,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ContractTests",
            dependencies: [
                "Domain", "Ports", "Application", "Infrastructure",
                product.postgresNIO,
                product.crypto,
                product.logging,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "InfrastructureTests",
            dependencies: [
                "Domain", "Ports", "Application", "Infrastructure", "Telemetry", "CSpawn", "FuzzSupport", "TestHelpers",
                // Built for the sandbox's tests, which run it.
                "cloudtask-box-init",
                product.crypto,
                product.tracing,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HTTPTests",
            dependencies: [
                "Domain", "Ports", "Application", "Infrastructure", "HTTP", "Consumers", "FuzzSupport", "APIModels",
                product.hummingbirdTesting,
                product.prometheus,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["APIModels", "TestHelpers", product.crypto],
            swiftSettings: strictSettings
        ),
    ]
)
