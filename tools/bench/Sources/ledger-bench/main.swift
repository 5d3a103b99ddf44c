import Foundation
import LedgerTokens

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

// ledger-bench SUBCOMMAND ARGS... — one measurement per process, one JSON line out.
let args = CommandLine.arguments
func arg(_ i: Int) -> String {
    guard i < args.count else { fail("ledger-bench: missing argument \(i); see tools/bench.sh") }
    return args[i]
}

switch args.count > 1 ? args[1] : "" {
case "log-append":
    // log-append DIR CALLERS EVENTS durable|nosync
    try await LogBenchmarks.append(dir: arg(2), callers: Int(arg(3))!, events: Int(arg(4))!, durable: arg(5) == "durable")
case "merkle-append":
    // merkle-append DIR CALLERS EVENTS tree|notree — durable appends with or without the tree
    try await LogBenchmarks.append(dir: arg(2), callers: Int(arg(3))!, events: Int(arg(4))!, durable: true, tree: arg(5) == "tree")
case "merkle-append-paired":
    // merkle-append-paired DIR CALLERS BURST BURSTS — with and without the tree, alternating bursts in one process
    try await MerkleBenchmarks.appendPaired(dir: arg(2), callers: Int(arg(3))!, burst: Int(arg(4))!, bursts: Int(arg(5))!)
case "merkle-fill":
    // merkle-fill DIR EVENTS — a log written without its tree, as by a version before it
    try MerkleBenchmarks.fill(dir: arg(2), events: Int(arg(3))!)
case "merkle-build":
    // merkle-build DIR — the one-time build at the first open by a writer, and its storage
    try MerkleBenchmarks.build(dir: arg(2))
case "merkle-prove":
    // merkle-prove DIR SECONDS — inclusion proofs of random positions against the head
    try MerkleBenchmarks.prove(dir: arg(2), seconds: Double(arg(3))!)
case "log-commit":
    // log-commit DIR EVENTS BATCH durable|nosync
    try LogBenchmarks.commit(dir: arg(2), events: Int(arg(3))!, batch: Int(arg(4))!, durable: arg(5) == "durable")
case "queue-overhead":
    // queue-overhead CALLERS REQUESTS [HANDLER_MICROSECONDS]
    try await LogBenchmarks.queueOverhead(callers: Int(arg(2))!, requests: Int(arg(3))!, handlerMicroseconds: args.count > 4 ? Int(arg(4))! : 0)
case "token-input":
    // token-input ES256|EdDSA FILE
    try TokenBenchmarks.writeInput(JWSAlgorithm(rawValue: arg(2))!, to: arg(3))
case "tokens-paired":
    // tokens-paired ES256|EdDSA sign|verify SECONDS raw|jwtkit
    try await TokenBenchmarks.paired(JWSAlgorithm(rawValue: arg(2))!, verify: arg(3) == "verify", seconds: Double(arg(4))!, against: arg(5))
case "primitive-sign":
    try TokenBenchmarks.primitive(JWSAlgorithm(rawValue: arg(2))!, verify: false, seconds: Double(arg(3))!)
case "primitive-verify":
    try TokenBenchmarks.primitive(JWSAlgorithm(rawValue: arg(2))!, verify: true, seconds: Double(arg(3))!)
case "engine-refresh":
    // engine-refresh DIR CALLERS SECONDS durable|nosync [FORGERS] [sealed|clear]
    try await EngineBenchmarks.refresh(dir: arg(2), callers: Int(arg(3))!, seconds: Double(arg(4))!, durable: arg(5) == "durable",
                                       forgers: args.count > 6 ? Int(arg(6))! : 0, sealed: args.count > 7 ? arg(7) != "clear" : true)
case "personal-fill":
    // personal-fill DIR EVENTS sealed|clear
    try await PersonalDataBenchmarks.fill(dir: arg(2), events: Int(arg(3))!, sealed: arg(4) == "sealed")
case "engine-login":
    try await EngineBenchmarks.login(dir: arg(2), callers: Int(arg(3))!, seconds: Double(arg(4))!)
case "engine-check":
    try await EngineBenchmarks.accessTokenCheck(dir: arg(2), seconds: Double(arg(3))!)
case "engine-memory":
    try await EngineBenchmarks.memory(dir: arg(2), sessions: Int(arg(3))!, users: Int(arg(4))!)
case "sign-all-cores":
    try await EngineBenchmarks.parallelSigning(seconds: Double(arg(2))!)
case "rebuild-fill":
    // An optional `uuid`: user ids of 36 bytes, as many deployments use, instead of `user-N`.
    try SnapshotBenchmarks.fill(dir: arg(2), events: Int(arg(3))!, uuidUsers: CommandLine.arguments.count > 4 && arg(4) == "uuid")
case "key-replay":
    try SnapshotBenchmarks.keyReplay(dir: arg(2))
case "rebuild":
    try SnapshotBenchmarks.rebuild(dir: arg(2))
case "snapshot":
    try SnapshotBenchmarks.snapshot(dir: arg(2))
case "snapshot-holdup":
    try await SnapshotBenchmarks.holdUp(dir: arg(2))
case "edge-verify":
    // edge-verify AUTHLEDGER_BINARY DIR SECONDS
    try await EdgeBenchmarks.verify(binary: arg(2), dir: arg(3), seconds: Double(arg(4))!)
case "edge-propagation":
    // edge-propagation AUTHLEDGER_BINARY DIR COUNT
    try await EdgeBenchmarks.propagation(binary: arg(2), dir: arg(3), count: Int(arg(4))!)
case "http-ceiling":
    // http-ceiling PORT (0: any free port, printed)
    try await HTTPCeiling.serve(port: Int(arg(2))!)
case "engine-check-parallel":
    // engine-check-parallel DIR SECONDS TASKS
    try await HTTPCeiling.parallelCheck(dir: arg(2), seconds: Double(arg(3))!, tasks: Int(arg(4))!)
case "log-fill":
    // log-fill DIR EVENTS USERS
    try LogBenchmarks.fill(dir: arg(2), events: Int(arg(3))!, users: Int(arg(4))!)
case "log-scan":
    try LogBenchmarks.scan(dir: arg(2))
default:
    fail("usage: ledger-bench log-append|log-fill|log-scan ... (see tools/bench.sh)")
}
