import NIOCore

/// Closes a connection whose client has left what was sent to it unread for `timeout`.
///
/// A channel stops being writable when its outbound buffer passes NIO's high-water mark
/// (64 KiB), which happens only once the kernel's send buffer is full, i.e. the client is
/// not reading. The send buffer is capped at ``sendBufferBytes`` (the kernel doubles it):
/// left to grow, Linux lets it reach `tcp_wmem`'s maximum (4 MiB by default) for a peer
/// that never reads, kernel memory pinned by each stalled connection. An event stream then waits in its write: without this bound, a subscriber that
/// never reads would hold its connection, its tail and the buffered events forever. The
/// writer of the log never waits for subscribers (tails pull), so this is about resources,
/// not about speed.
final class StalledWriteHandler: ChannelInboundHandler, RemovableChannelHandler {
    // Nothing is read here: requests pass through untouched.
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var closing: Scheduled<Void>?

    /// What the socket's send buffer is set to; Linux doubles it for its own bookkeeping,
    /// so a stalled connection holds at most about 256 KiB in the kernel.
    static let sendBufferBytes: SocketOptionValue = 128 << 10

    init(timeout: TimeAmount) { self.timeout = timeout }

    /// Where reads start (NIO's default is 2 KiB, grown and shrunk with what arrives). The
    /// connection keeps its last read buffer while it is open, so an idle event subscriber,
    /// whose only request was a few hundred bytes, held 2 KiB for it (BENCHMARKS.md); bigger
    /// requests grow it as before.
    static let initialReadBytes = 512

    func handlerAdded(context: ChannelHandlerContext) {
        // Set here because Hummingbird's server configuration does not expose these options:
        // this handler is on every connection's pipeline anyway.
        try? context.channel.syncOptions?.setOption(.socketOption(.so_sndbuf), value: Self.sendBufferBytes)
        try? context.channel.syncOptions?.setOption(.recvAllocator,
                                                   value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: Self.initialReadBytes, maximum: 65_536))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            closing?.cancel()
            closing = nil
        } else if closing == nil {
            let loop = context.eventLoop.assumeIsolated()
            closing = loop.scheduleTask(in: timeout) { [self] in
                closing = nil
                if !context.channel.isWritable { context.close(promise: nil) }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closing?.cancel()
        closing = nil
    }
}

@available(*, unavailable)
extension StalledWriteHandler: Sendable {}
