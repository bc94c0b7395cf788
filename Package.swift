// swift-tools-version: 6.0
import PackageDescription

// Layers, each depending only on the ones above it:
//   SomaDiagnostics ← SomaSyntax ← SomaChecker ← SomaCLI ← soma
//   SomaModelCheck (pure graph algorithms) ← SomaChecker
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Soma",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "soma", targets: ["soma"]),
        .library(name: "SomaChecker", targets: ["SomaChecker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .target(name: "SomaDiagnostics", swiftSettings: strict),
        .target(name: "SomaSyntax", dependencies: ["SomaDiagnostics"], swiftSettings: strict),
        .target(name: "SomaModelCheck", swiftSettings: strict),
        .target(
            name: "SomaChecker",
            dependencies: ["SomaDiagnostics", "SomaSyntax", "SomaModelCheck", "TOMLKit"],
            swiftSettings: strict),
        .target(
            name: "SomaCLI",
            dependencies: ["SomaChecker", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        .executableTarget(name: "soma", dependencies: ["SomaCLI"], swiftSettings: strict),
        .executableTarget(
            name: "soma-bench", dependencies: ["SomaChecker"], path: "Benchmarks/SomaBench",
            swiftSettings: strict),

        .testTarget(name: "SomaDiagnosticsTests", dependencies: ["SomaDiagnostics"]),
        .testTarget(name: "SomaSyntaxTests", dependencies: ["SomaSyntax"]),
        .testTarget(name: "SomaModelCheckTests", dependencies: ["SomaModelCheck"]),
        .testTarget(name: "SomaCheckerTests", dependencies: ["SomaChecker"]),
        .testTarget(name: "SomaCLITests", dependencies: ["SomaCLI"], exclude: ["Golden"]),
    ]
)
