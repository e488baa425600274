public import Domain
public import Foundation

/// One rate-limit count to take: a policy and the key it counts by.
public struct RateLimitCheck: Hashable, Sendable {
    public let policy: RateLimitPolicy
    public let key: String

    public init(policy: RateLimitPolicy, key: String) {
        self.policy = policy
        self.key = key
    }
}

/// What the gate said about one authenticated request.
public struct AccessGateAnswer: Hashable, Sendable {
    /// Whether the token id or its session is on the denylist; `nil` when the list could
    /// not answer (the caller then asks the session store: never fail open).
    public let revoked: Bool?
    /// One decision per check, in order; empty when the token was revoked (a revoked
    /// token is not counted).
    public let decisions: [RateLimitDecision]

    public init(revoked: Bool?, decisions: [RateLimitDecision]) {
        self.revoked = revoked
        self.decisions = decisions
    }
}

/// The questions every authenticated request asks of the shared store — is this token
/// revoked, and may this caller proceed — answered together, so that an adapter over a
/// server (Redis) answers both in one round trip.
///
/// An adapter whose store is down still answers: `revoked: nil`, and decisions from a
/// per-process limiter. Only a failure of that fallback throws.
public protocol AccessGate: Sendable {
    func check(tokenID: UUID, session: SessionID, limits: [RateLimitCheck], now: Date) async throws -> AccessGateAnswer
}
