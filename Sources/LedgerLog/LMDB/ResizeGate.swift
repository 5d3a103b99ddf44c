import LedgerCodec
import Glibc

/// Lets many transactions run at once but gives one thread exclusive access while
/// the LMDB map is resized: `mdb_env_set_mapsize` is only allowed while this process
/// has no transaction open.
///
/// `@unchecked Sendable`: the only state is a heap-allocated `pthread_rwlock_t`, which
/// is designed for concurrent use and never moves after `init`.
final class ResizeGate: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        var attr = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attr)
        // Prefer the resizer: with glibc's default reader preference, a steady stream
        // of short read transactions could starve a resize forever.
        pthread_rwlockattr_setkind_np(&attr, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attr)
        pthread_rwlockattr_destroy(&attr)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` while no resize can start.
    @inline(__always)
    func shared<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Runs `body` once every transaction in this process has ended.
    func exclusive<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
