public import Application
import Foundation

/// Who the client is, for per-IP rate limits: the peer, unless the peer is a trusted
/// proxy, in which case the first untrusted hop of `X-Forwarded-For`, read from the
/// right (the left part of the header is whatever the client chose to send).
public enum ClientAddress {
    public static func resolve(peer: String?, forwardedFor: String?, trusted: [CIDR]) -> String {
        guard let peer else { return "unknown" }
        guard !trusted.isEmpty, trusted.contains(where: { $0.contains(peer) }), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in hops.reversed() {
            guard IPAddressBytes.parse(hop) != nil else { return peer }  // garbage: trust nothing of it
            if !trusted.contains(where: { $0.contains(hop) }) { return hop }
        }
        return hops.first ?? peer
    }
}
