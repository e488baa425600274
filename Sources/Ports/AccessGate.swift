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

/// A cache entry read in the same round trip as the gate's question. Opaque: only the
/// cache adapter over the same store can use it (`Cache.get(_:key:readAhead:)`); every
/// other adapter ignores it and reads as usual.
public struct CacheReadAhead: Sendable {
    public let key: CacheKey
    public let payload: any Sendable

    public init(key: CacheKey, payload: any Sendable) {
        self.key = key
        self.payload = payload
    }
}

/// What the gate said about one authenticated request.
public struct AccessGateAnswer: Sendable {
    /// Whether the token id or its session is on the denylist; `nil` when the list could
    /// not answer (the caller then asks the session store: never fail open).
    public let revoked: Bool?
    /// One decision per check, in order; empty when the token was revoked (a revoked
    /// token is not counted).
    public let decisions: [RateLimitDecision]
    /// The cache entry asked to be read along, when the adapter could (nil otherwise, and
    /// always nil for a revoked token).
    public let readAhead: CacheReadAhead?

    public init(revoked: Bool?, decisions: [RateLimitDecision], readAhead: CacheReadAhead? = nil) {
        self.revoked = revoked
        self.decisions = decisions
        self.readAhead = readAhead
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
    /// The same, also reading one cache entry the request will need in the same round
    /// trip where the store allows (the architecture's budget: one round trip per
    /// authenticated read). Adapters that cannot answer no read-ahead.
    func check(
        tokenID: UUID, session: SessionID, limits: [RateLimitCheck], now: Date,
        readAhead: CacheKey?
    ) async throws -> AccessGateAnswer
}

extension AccessGate {
    public func check(
        tokenID: UUID, session: SessionID, limits: [RateLimitCheck], now: Date,
        readAhead: CacheKey?
    ) async throws -> AccessGateAnswer {
        try await check(tokenID: tokenID, session: session, limits: limits, now: now)
    }
}
