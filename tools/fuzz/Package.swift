// swift-tools-version: 6.0
// AuthLedger's libFuzzer targets: a separate package, built only with the fuzzer sanitizer.
// Run through tools/fuzz.sh, which builds this in release mode with
// `-sanitize=fuzzer -parse-as-library` and runs one target or all of them.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which depends on where the
// repository was cloned.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let product = root.lastPathComponent

// The parsers' entry points that are not API (`RecordView.init`, the snapshot body decoder,
// the server's body readers) are `package`, never `public`. SwiftPM names a package's modules
// after the package's identity (`-package-name`); compiling the fuzz targets under the same
// name lets them call those entry points, as a test target of the product would. The name
// is the identity made an identifier, as SwiftPM makes it.
let identifier = String(product.lowercased().map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
// …and a leading digit replaced, as SwiftPM does (a clone in `9pkg-x` is `_pkg_x`).
let packageName = identifier.first?.isNumber == true ? "_" + identifier.dropFirst() : identifier
let friend: [SwiftSetting] = [.swiftLanguageMode(.v6), .unsafeFlags(["-package-name", packageName])]

/// One executable per parser, with `LLVMFuzzerTestOneInput` and no top-level code.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: "fuzz-\(name)",
        dependencies: ["FuzzSupport", "CFuzzerDriver"] + products.map { .product(name: $0, package: product) },
        // Not SwiftPM's own `-package-name` for this package, which would come after ours.
        packageAccess: false,
        swiftSettings: friend
    )
}

let package = Package(
    name: "AuthLedgerFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../..")],
    targets: [
        // On Linux SwiftPM links an executable with `--defsym main=<module>_main`, a symbol
        // `-parse-as-library` never emits. Each target defines it (`FuzzerMain.swift`) to call
        // this, which hands over to libFuzzer's driver as libFuzzer's own `main` would.
        .target(name: "CFuzzerDriver"),
        // Fixed keys, so that the seed corpora's valid tokens stay valid from run to run.
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "LedgerTokens", package: product), .product(name: "LedgerCrypto", package: product)],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        fuzzTarget("jwt", ["LedgerTokens"]),
        fuzzTarget("json", ["LedgerTokens"]),
        fuzzTarget("refresh-token", ["LedgerTokens"]),
        fuzzTarget("record", ["LedgerCodec"]),
        fuzzTarget("snapshot-body", ["LedgerEngine"]),
        fuzzTarget("request-body", ["LedgerServer", "LedgerTokens", "LedgerCodec"]),
    ]
)
