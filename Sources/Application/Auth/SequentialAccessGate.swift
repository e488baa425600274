public import Domain
public import Foundation
public import Ports

/// An `AccessGate` made of a denylist and a rate limiter asked one after the other:
/// for adapters that live in the process (nothing to save by combining them).
public struct SequentialAccessGate: AccessGate {
    let denylist: any TokenDenylist
    let limiter: any RateLimiter

    public init(denylist: any TokenDenylist, limiter: any RateLimiter) {
        self.denylist = denylist
        self.limiter = limiter
    }

    public func check(tokenID: UUID, session: SessionID, limits: [RateLimitCheck], now: Date) async throws -> AccessGateAnswer {
        let revoked = try? await denylist.isRevoked(tokenID: tokenID, session: session)
        if revoked == true { return AccessGateAnswer(revoked: true, decisions: []) }
        var decisions: [RateLimitDecision] = []
        for check in limits { decisions.append(try await limiter.check(check.policy, key: check.key, now: now)) }
        return AccessGateAnswer(revoked: revoked, decisions: decisions)
    }
}
