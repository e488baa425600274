import Application
public import Domain
public import Foundation
public import Logging
import Metrics
public import Ports
import Synchronization

/// GCRA counts in Redis, shared by every API instance, and the access gate: the
/// revocation look-up of `jti` and `sid` and the caller's counts in one script, one
/// round trip. Counts use the caller's clock (API hosts are expected to run NTP), which
/// keeps the arithmetic identical to `GCRA.evaluate` and testable.
///
/// While Redis does not answer, counts fall back to a per-process limiter (logged once
/// per outage, counted in `cloudtask_rate_limit_fallbacks_total`) and the gate answers
/// "revocation unknown", so the session store decides. It never fails open.
public final class RedisRateLimiter: RateLimiter, AccessGate {
    private let client: RedisClient
    private let keys: RedisKeys
    private let denylistHealth: RedisDenylistHealth
    private let fallback = InMemoryRateLimiter()
    private let fallingBack = Mutex(false)
    private let fallbacks: Counter
    private let logger: Logger

    public init(client: RedisClient, prefix: String, denylistHealth: RedisDenylistHealth, logger: Logger) {
        self.client = client
        keys = RedisKeys(prefix: prefix)
        self.denylistHealth = denylistHealth
        self.logger = logger
        fallbacks = Counter(label: MetricNames.rateLimitFallbacks)
    }

    public func check(_ policy: RateLimitPolicy, key: String, now: Date) async throws -> RateLimitDecision {
        let checks = [RateLimitCheck(policy: policy, key: key)]
        guard case .counted(let decisions, _)? = await admit(revocationKeys: [], checks, now: now).0 else {
            return try await fallback.check(policy, key: key, now: now)
        }
        return decisions[0]
    }

    public func check(tokenID: UUID, session: SessionID, limits: [RateLimitCheck], now: Date) async throws -> AccessGateAnswer {
        try await check(tokenID: tokenID, session: session, limits: limits, now: now, readAhead: nil)
    }

    /// The admit script and, when asked, the cache's read script for `readAhead`, in one
    /// round trip. The read-ahead is the cache's raw reply, for `RedisCache` to decode.
    public func check(
        tokenID: UUID, session: SessionID, limits: [RateLimitCheck], now: Date,
        readAhead: CacheKey?
    ) async throws -> AccessGateAnswer {
        let revocationKeys = [keys.revokedToken(tokenID.uuidString.lowercased()), keys.revokedSession(session.description)]
        let (admission, cached) = await admit(revocationKeys: revocationKeys, limits, now: now, readAhead: readAhead)
        switch admission {
        case .revoked?:
            return AccessGateAnswer(revoked: true, decisions: [])
        case .counted(let decisions, let listComplete)?:
            // Not listed; but a list that missed writes (here) or lost its data (anywhere)
            // is not believed until refilled: the session store decides meanwhile.
            var read: CacheReadAhead?
            if let readAhead, let cached { read = CacheReadAhead(key: readAhead, payload: RedisCacheRead(reply: cached)) }
            return AccessGateAnswer(
                revoked: denylistHealth.trusted && listComplete ? false : nil, decisions: decisions, readAhead: read)
        case nil:
            var counted: [RateLimitDecision] = []
            for check in limits { counted.append(try await fallback.check(check.policy, key: check.key, now: now)) }
            return AccessGateAnswer(revoked: nil, decisions: counted)
        }
    }

    private enum Admission {
        case revoked
        /// `listComplete`: the denylist's marker says it holds every revocation.
        case counted([RateLimitDecision], listComplete: Bool)
    }

    /// Runs the admit script (and the cache read, when asked); `nil` when Redis failed
    /// (the caller falls back). The cache's reply is nil when it was not asked for or failed.
    private func admit(
        revocationKeys: [String], _ checks: [RateLimitCheck], now: Date,
        readAhead: CacheKey? = nil
    ) async -> (Admission?, RedisReply?) {
        let nowMillis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        var arguments = [String(revocationKeys.count), String(nowMillis)]
        for check in checks {
            arguments.append(String(Int64(check.policy.windowSeconds) * 1000))
            arguments.append(String(check.policy.limit))
        }
        let marker = revocationKeys.isEmpty ? [] : [keys.denylistComplete]
        let keyList = revocationKeys + marker + checks.map { keys.rate($0.policy.name, $0.key) }
        var calls: [(script: RedisScript, keys: [String], arguments: [String])] = [(RedisScripts.admit, keyList, arguments)]
        if let readAhead { calls.append((RedisScripts.cacheRead, [keys.cache(readAhead.value), keys.cacheEpoch], [])) }
        let replies: [RedisReply]
        do {
            replies = try await client.evaluate(calls)
        } catch {
            enterFallback(error)
            return (nil, nil)
        }
        let cached: RedisReply? = replies.count > 1 && replies[1].isNotError ? replies[1] : nil
        guard let values = replies[0].elements?.compactMap(\.integer) else {
            enterFallback(RedisError.reply("shape"))
            return (nil, nil)
        }
        leaveFallback()
        if values == [-1] { return (.revoked, nil) }
        guard values.count == checks.count * 3 + marker.count else {
            enterFallback(RedisError.reply("shape"))
            return (nil, nil)
        }
        let markerState = marker.isEmpty ? 2 : values[checks.count * 3]
        if markerState == 0 { denylistHealth.recordMarkerLost() }
        return (
            .counted(
                checks.indices.map { index in
                    GCRA.decision(
                        policy: checks[index].policy, allowed: values[index * 3] == 1,
                        usedMillis: values[index * 3 + 1], retryMillis: values[index * 3 + 2])
                }, listComplete: markerState == 2), cached
        )
    }

    private func enterFallback(_ error: any Error) {
        fallbacks.increment()
        if fallingBack.withLock({ state in
            defer { state = true }
            return !state
        }) {
            logger.warning("Redis unavailable: rate limits are per process until it returns", metadata: ["error": "\(error)"])
        }
    }

    private func leaveFallback() {
        if fallingBack.withLock({ state in
            defer { state = false }
            return state
        }) {
            logger.notice("Redis is back: rate limits are shared again")
        }
    }
}
