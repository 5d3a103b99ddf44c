import Synchronization

/// Reusable libcrypto contexts, lent to one caller at a time: setting a context up costs
/// several times more than using it, on the hottest paths (every ES256 signature and
/// verification). At most 64 idle contexts are kept.
///
/// `@unchecked Sendable`: a context moves between threads only through the mutex, and is
/// used by one caller at a time.
final class ContextPool: @unchecked Sendable {
    private let idle = Mutex<[PooledContext]>([])
    private let make: @Sendable () -> OpaquePointer?
    private let free: @Sendable (OpaquePointer) -> Void

    init(make: @escaping @Sendable () -> OpaquePointer?, free: @escaping @Sendable (OpaquePointer) -> Void) {
        self.make = make
        self.free = free
    }

    deinit { for ctx in idle.withLock({ $0 }) { free(ctx.pointer) } }

    /// An idle context, or a new one; nil only if libcrypto cannot make one.
    func take() -> OpaquePointer? {
        if let ctx = idle.withLock({ $0.popLast() }) { return ctx.pointer }
        return make()
    }

    func give(_ ctx: OpaquePointer) {
        let pooled = PooledContext(pointer: ctx)
        let keep = idle.withLock { pool -> Bool in
            guard pool.count < 64 else { return false }
            pool.append(pooled)
            return true
        }
        if !keep { free(ctx) }
    }
}

/// A context handed between threads through a pool's mutex only.
struct PooledContext: @unchecked Sendable {
    let pointer: OpaquePointer
}
