// swift-tools-version: 6.2
import PackageDescription

// Layers, each depending only on the ones above it:
//   SomaDiagnostics ← SomaSyntax ← SomaChecker ← SomaRuntime ← SomaFace ← SomaWorker ┐
//   SomaModelCheck (pure graphs and CTL) ← SomaChecker                                 ├ SomaCLI ← soma
//   SomaStorage (GRDB: turn commits, durable SQLite files) ← SomaRuntime, SomaResources, SomaLedger                                     │
//   SomaLedgerMigrations (migrations/) ← SomaLedger ← SomaSupervisor ─────────────────┘
//   SomaProtocol (the typed, versioned messages between processes) ← SomaStorage, SomaControl, SomaRuntime, …
//   SomaControl (the protocols' transports: JSON lines with a hello, over Unix sockets or TCP with TLS) ← SomaWorker, SomaSupervisor
//   SomaResources (queue engine, database engines: SQLite, PostgreSQL; ← SomaChecker, SomaControl) ← SomaRuntime, SomaProviders
//   SomaProcesses (one supervised process: its pure state machine, RestartPolicy, the ProcessHost seam) ← SomaProviders, SomaSupervisor
//   SomaProviders (providers/: the provider protocol, `local`, external plugins) ← SomaSupervisor
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Soma",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "soma", targets: ["soma"]),
        .library(name: "SomaChecker", targets: ["SomaChecker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/mattpolzin/OpenAPIKit", from: "6.4.0", traits: []),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // TCP control connections: TLS 1.3 with the app's own certificate (made with swift-certificates) and an
        // HMAC of the app's secret. postgres-nio builds all three already.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Tests only: an HTTP client on SwiftNIO (FoundationNetworking's URLSession crashes in libdispatch when
        // the server dies under it, swift-corelibs-foundation #4791, which the kill -9 tests do on purpose).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .target(name: "SomaDiagnostics", swiftSettings: strict),
        .target(name: "SomaProtocol", swiftSettings: strict),
        .target(name: "SomaSyntax", dependencies: ["SomaDiagnostics"], swiftSettings: strict),
        .target(name: "SomaModelCheck", swiftSettings: strict),
        .target(
            name: "SomaChecker",
            dependencies: ["SomaDiagnostics", "SomaProtocol", "SomaSyntax", "SomaModelCheck", "TOMLKit"],
            swiftSettings: strict),
        .target(
            name: "SomaStorage", dependencies: ["SomaProtocol", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .target(
            name: "SomaResources",
            dependencies: [
                "SomaChecker", "SomaControl", "SomaStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "SomaProcesses",
            dependencies: ["SomaControl", "SomaResources", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strict),
        .target(
            name: "SomaProviders",
            dependencies: ["SomaProtocol", "SomaControl", "SomaResources", "SomaProcesses", .product(name: "Subprocess", package: "swift-subprocess")],
            path: "providers/SomaProviders", swiftSettings: strict),
        .target(name: "SomaRuntime", dependencies: ["SomaProtocol", "SomaChecker", "SomaStorage", "SomaControl", "SomaResources"], swiftSettings: strict),
        .target(
            name: "SomaControl",
            dependencies: [
                "SomaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "SomaFace",
            dependencies: [
                "SomaRuntime", "SomaControl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ],
            swiftSettings: strict),
        .target(
            name: "SomaWorker",
            dependencies: [
                "SomaFace", "SomaRuntime", "SomaControl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "SomaLedgerMigrations", path: "migrations", exclude: ["README.md"], swiftSettings: strict),
        .target(
            name: "SomaLedger",
            dependencies: ["SomaLedgerMigrations", "SomaProtocol", "SomaStorage", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .target(
            name: "SomaSupervisor",
            dependencies: [
                "SomaLedger", "SomaControl", "SomaProcesses", "SomaProviders", "SomaResources", "SomaChecker", "SomaStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "SomaCLI",
            dependencies: [
                "SomaChecker", "SomaWorker", "SomaSupervisor", "SomaControl", "SomaLedger", "SomaProviders", "SomaResources", "SomaStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(name: "soma", dependencies: ["SomaCLI"], swiftSettings: strict),
        .executableTarget(
            name: "soma-bench", dependencies: ["SomaChecker"], path: "Benchmarks/SomaBench",
            swiftSettings: strict),

        .executableTarget(
            name: "soma-baseline",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/BaselineServer", swiftSettings: strict),
        .executableTarget(
            name: "soma-queue-driver",
            dependencies: ["SomaProtocol", "SomaResources", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio")],
            path: "Benchmarks/QueueDriver", swiftSettings: strict),

        // What more than one test target needs and no product does: a small tmpfs to fill.
        .target(name: "SomaTestSupport", path: "Tests/Support"),
        .testTarget(name: "SomaDiagnosticsTests", dependencies: ["SomaDiagnostics"]),
        .testTarget(name: "SomaSyntaxTests", dependencies: ["SomaSyntax"]),
        .testTarget(name: "SomaModelCheckTests", dependencies: ["SomaModelCheck"]),
        .testTarget(name: "SomaCheckerTests", dependencies: ["SomaChecker"]),
        .testTarget(
            name: "SomaRuntimeTests",
            dependencies: ["SomaRuntime", "SomaChecker", "SomaStorage", .product(name: "PropertyBased", package: "swift-property-based"),
                           .product(name: "GRDB", package: "GRDB.swift"), "SomaTestSupport"]),
        .testTarget(name: "SomaProcessesTests", dependencies: ["SomaProcesses"]),
        .testTarget(name: "SomaSupervisorTests", dependencies: ["SomaSupervisor"]),
        .testTarget(name: "SomaControlTests", dependencies: ["SomaControl", "SomaProtocol", .product(name: "NIOCore", package: "swift-nio"),
                                                             .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "SomaFaceTests", dependencies: ["SomaFace", "SomaChecker"]),
        .testTarget(name: "SomaResourcesTests", dependencies: ["SomaResources", "SomaProtocol", "SomaProviders", "SomaProcesses", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "SomaLedgerTests",
            dependencies: ["SomaLedger", "SomaLedgerMigrations", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "SomaCLITests",
            dependencies: ["SomaCLI", "SomaProtocol", "SomaResources", "SomaProviders", "SomaProcesses", .product(name: "Subprocess", package: "swift-subprocess"),
                           .product(name: "GRDB", package: "GRDB.swift"), "SomaTestSupport",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio")],
            exclude: ["Golden"]),
    ]
)
