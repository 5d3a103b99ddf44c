import Hummingbird
import Logging
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

    /// `extra`, and the key that authorized the request, for a log line written by its route
    /// (the request line is written outside the route, before any key was checked). Not set
    /// on the logger itself: swift-log's stream handler renders all of a logger's metadata
    /// again on every change, which cost about 4% of the server's CPU per request.
    func logMetadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        guard let apiKeyID else { return extra }
        var metadata = extra
        metadata["api_key"] = .string(apiKeyID)
        return metadata
    }
}
