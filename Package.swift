// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "AuthLedger",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LedgerCodec", targets: ["LedgerCodec"]),
        .library(name: "LedgerLog", targets: ["LedgerLog"]),
        .library(name: "LedgerCrypto", targets: ["LedgerCrypto"]),
        .library(name: "LedgerTokens", targets: ["LedgerTokens"]),
        .library(name: "LedgerEngine", targets: ["LedgerEngine"]),
        .library(name: "LedgerTesting", targets: ["LedgerTesting"]),
        .library(name: "LedgerServer", targets: ["LedgerServer"]),
        .library(name: "LedgerEdge", targets: ["LedgerEdge"]),
        .library(name: "LedgerEdgeHummingbird", targets: ["LedgerEdgeHummingbird"]),
        .executable(name: "authledger", targets: ["authledger"]),
        .executable(name: "edge-example", targets: ["EdgeExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
    ],
    targets: [
        // C shims: a module map and a header each, nothing else.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // A prefetch hint for replay (header only).
        .systemLibrary(name: "CMemory"),

        // Hashes, MACs, signatures and randomness over libcrypto.
        .target(name: "LedgerCrypto", dependencies: ["CCrypto"], swiftSettings: strict),
        // JOSE: JWT access tokens, JWKs and key sets, and opaque refresh tokens.
        .target(name: "LedgerTokens", dependencies: ["LedgerCrypto"], swiftSettings: strict),
        // The pure codec, no LMDB: the record layout and the chain-hash rule, the catalogue of
        // auth events and their stable encoding, identifiers, timestamps, and the revocation
        // state followers keep. What a process that only decodes or verifies events links.
        .target(name: "LedgerCodec", dependencies: ["LedgerCrypto"], swiftSettings: strict),
        // The append-only, hash-chained event log over LMDB: group commit, indexes, tails.
        .target(name: "LedgerLog", dependencies: ["CLMDB", "LedgerCrypto", "LedgerCodec"], swiftSettings: strict),
        // The engine: sessions, rotation, revocation, projections, and the key ring.
        .target(
            name: "LedgerEngine",
            dependencies: [
                "CMemory", "LedgerLog", "LedgerCodec", "LedgerTokens", "LedgerCrypto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Helpers for tests of code built on AuthLedger: temporary directories, clocks,
        // child processes that cannot outlive the test run.
        .target(name: "LedgerTesting", dependencies: ["LedgerCodec"], swiftSettings: strict),
        // The HTTP service over the engine: sessions API, JWKS, revocation stream, API keys,
        // metrics. One `buildApplication(configuration:)` serves `authledger serve` and the tests.
        .target(
            name: "LedgerServer",
            dependencies: [
                "LedgerEngine", "LedgerCodec", "LedgerTokens", "LedgerCrypto", "LedgerLog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The `authledger` command-line tool.
        .executableTarget(
            name: "authledger",
            dependencies: [
                "LedgerLog", "LedgerCodec", "LedgerEngine", "LedgerTokens", "LedgerCrypto", "LedgerServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // The edge library: verifies access tokens locally and keeps the revoked set by
        // following the server's revocation stream. Links no LMDB and no HTTP server.
        .target(
            name: "LedgerEdge",
            dependencies: [
                "LedgerCodec", "LedgerTokens", "LedgerCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // A Hummingbird middleware over LedgerEdge, apart so the library needs no Hummingbird.
        .target(
            name: "LedgerEdgeHummingbird",
            dependencies: [
                "LedgerEdge", "LedgerTokens",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        // `edge-example`: a service protecting a route with the middleware (README, docs/EDGE.md).
        .executableTarget(
            name: "EdgeExample",
            dependencies: [
                "LedgerEdge", "LedgerEdgeHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "LedgerCryptoTests", dependencies: ["LedgerCrypto"], swiftSettings: strict),
        // Links no LMDB, like every process that only decodes events.
        .testTarget(
            name: "LedgerCodecTests",
            dependencies: ["LedgerCodec", "LedgerCrypto", "LedgerTesting"],
            resources: [.copy("Vectors")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerTestingTests",
            dependencies: ["LedgerTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerTokensTests",
            dependencies: ["LedgerTokens", "LedgerCrypto", "LedgerTesting"],
            resources: [.copy("Vectors")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthLedgerCLITests",
            // Depending on the executable makes `swift test` build it; the tests run it.
            dependencies: ["authledger", "LedgerEngine", "LedgerLog", "LedgerTesting", "LedgerTokens", "LedgerCrypto"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerEngineTests",
            dependencies: ["LedgerEngine", "LedgerTesting", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerServerTests",
            dependencies: [
                "LedgerServer", "LedgerEngine", "LedgerTesting", "authledger",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerEdgeTests",
            // Depends on the executables so `swift test` builds them; the live tests run them.
            dependencies: [
                "LedgerEdge", "LedgerEdgeHummingbird", "LedgerTokens", "LedgerCodec", "LedgerCrypto", "LedgerTesting",
                "authledger", "EdgeExample",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "LedgerLogTests", dependencies: ["LedgerLog", "LedgerCodec", "LedgerTesting"], swiftSettings: strict),
    ]
)
