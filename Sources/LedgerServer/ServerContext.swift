import Hummingbird
import NIOCore

/// What a request carries besides itself: the peer's address, the request id, and the API
/// key that authorized it (set by the route's guard).
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The socket peer; nil in in-process tests.
    public let peer: SocketAddress?
    /// Echoed in `X-Request-ID` and attached to every log line of the request.
    public var requestID = ""
    /// The key that authorized the call, once checked.
    public var apiKeyID: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress
    }

    public var maxUploadSize: Int { 16_384 }
}
