// swift-tools-version: 6.0
// AuthLedger's benchmarks: a separate package so the product keeps few dependencies.
// Run through tools/bench.sh, which builds this in release mode and compares each figure
// with its baseline (raw liblmdb, raw libcrypto, jwt-kit) measured in the same run.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which depends on where the
// repository was cloned.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let product = root.lastPathComponent
// The zero-copy scans (`EventLog.scan` and its `RecordView`) are `package`, not API: a
// view kept past its closure would read unmapped memory. The log benchmarks measure them,
// so this target is compiled under the product's package name (`-package-name`), as a test
// target of the product would be (the same as tools/fuzz).
let identifier = String(product.lowercased().map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
// …and a leading digit replaced, as SwiftPM does (a clone in `9pkg-x` is `_pkg_x`).
let packageName = identifier.first?.isNumber == true ? "_" + identifier.dropFirst() : identifier

let package = Package(
    name: "AuthLedgerBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        // Baseline only: never a dependency of the product.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.0"),
        // The edge benchmarks' HTTP calls (already under LedgerEdge).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
        // The HTTP benchmarks' framework ceiling: a minimal endpoint on the same Hummingbird
        // as `authledger serve` (already in the main package's graph).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Its held streams end on the server's graceful shutdown (already in the graph).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // The raw libcrypto baseline, also built into tools/crypto-raw-bench.
        .target(name: "CRawCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        .executableTarget(
            name: "ledger-bench",
            dependencies: [
                "CRawCrypto",
                .product(name: "LedgerLog", package: product),
                .product(name: "LedgerCodec", package: product),
                .product(name: "LedgerCrypto", package: product),
                .product(name: "LedgerTokens", package: product),
                .product(name: "LedgerEngine", package: product),
                .product(name: "LedgerEdge", package: product),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            // Not SwiftPM's own `-package-name` for this package, which would come after ours.
            packageAccess: false,
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-package-name", packageName])]
        ),
    ]
)
