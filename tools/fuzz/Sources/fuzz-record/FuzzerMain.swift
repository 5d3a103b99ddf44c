import CFuzzerDriver

/// The entry point SwiftPM links as `main` (see Package.swift): libFuzzer's driver.
@_cdecl("fuzz_record_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    authledger_fuzzer_driver(argc, argv)
}
