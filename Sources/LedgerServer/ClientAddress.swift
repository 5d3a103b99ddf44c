import Foundation
import HTTPTypes
import Hummingbird
import LedgerCodec
import NIOCore

/// Where a request came from. The socket's peer, unless that peer is a trusted proxy: then
/// the nearest address in `X-Forwarded-For` (or `Forwarded: for=`) that is not itself a
/// trusted proxy. Headers from anyone else are ignored, so a client cannot choose its address.
struct ClientAddressResolver: Sendable {
    let trusted: Set<IPAddress>

    init(trustedProxies: [String]) { trusted = Set(trustedProxies.compactMap { IPAddress($0)?.normalized }) }

    func address(of request: Request, peer: SocketAddress?) -> IPAddress {
        let socket = peer?.ipAddress.flatMap { IPAddress($0)?.normalized } ?? .unknown
        guard trusted.contains(socket) else { return socket }
        var hops = forwardedFor(request.headers)
        // The right-most hop was added by the proxy nearest to us; walk left past our own proxies.
        while let last = hops.popLast() {
            guard let ip = IPAddress(last)?.normalized else { return socket }
            if !trusted.contains(ip) { return ip }
        }
        return socket
    }

    private func forwardedFor(_ headers: HTTPFields) -> [String] {
        let forwarded = headers[values: HTTPField.Name("Forwarded")!]
        if !forwarded.isEmpty {
            // RFC 7239: `for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"`.
            return forwarded.flatMap { $0.split(separator: ",") }.compactMap { element in
                for pair in element.split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "for" else { continue }
                    var value = parts[1].trimmingCharacters(in: .whitespaces)
                    value = value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    if value.hasPrefix("["), let end = value.firstIndex(of: "]") { return String(value[value.index(after: value.startIndex)..<end]) }
                    if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") { return String(value[..<colon]) }
                    return value
                }
                return nil
            }
        }
        return headers[values: HTTPField.Name("X-Forwarded-For")!].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
