import Synchronization

/// The live projection, shared by the writer (which alone changes it) and every reader.
final class SharedProjection: Sendable {
    private let mutex: Mutex<Projection>
    init(_ p: Projection) { mutex = Mutex(p) }
    func withLock<R>(_ body: (inout Projection) throws -> R) rethrows -> R { try mutex.withLock { try body(&$0) } }
}
