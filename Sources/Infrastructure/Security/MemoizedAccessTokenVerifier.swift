public import Foundation
public import Ports
import Synchronization

/// Remembers the claims of access tokens it has verified, so that a client presenting
/// the same token again (every request of a session, for up to fifteen minutes) costs
/// one dictionary look-up instead of base64, HMAC and JSON decoding.
///
/// Safe because verification is a pure function of the token and the keys (which do not
/// change while the process runs) except for expiry, which is checked on every use.
/// Revocation is not decided here: the access gate still runs on every request.
/// Failures are not remembered (a garbage token must not push out good ones).
public final class MemoizedAccessTokenVerifier: AccessTokenVerifier {
    private let verifier: any AccessTokenVerifier
    private let capacity: Int
    private let memo = Mutex<[String: AccessClaims]>([:])

    public init(_ verifier: any AccessTokenVerifier, capacity: Int = 10_000) {
        self.verifier = verifier
        self.capacity = capacity
    }

    public func verify(_ token: String, now: Date) throws(TokenRejection) -> AccessClaims {
        if let claims = memo.withLock({ $0[token] }) {
            guard claims.expiresAt > now else { throw .expired }
            return claims
        }
        let claims = try verifier.verify(token, now: now)
        memo.withLock { memo in
            // Full: start again rather than track recency; the live tokens come back at
            // the cost of one verification each.
            if memo.count >= capacity { memo.removeAll(keepingCapacity: true) }
            memo[token] = claims
        }
        return claims
    }
}
