/// A limit of `limit` requests per `windowSeconds`, applied per key (a client IP or a
/// user). `name` appears in the `RateLimit-Policy` header.
public struct RateLimitPolicy: Hashable, Sendable {
    public let name: String
    public let limit: Int
    public let windowSeconds: Int

    public init(name: String, limit: Int, windowSeconds: Int) {
        precondition(limit > 0 && windowSeconds > 0)
        self.name = name
        self.limit = limit
        self.windowSeconds = windowSeconds
    }
}

/// The answer to one rate-limit check, with what the `RateLimit*` headers need.
public struct RateLimitDecision: Hashable, Sendable {
    public let policy: RateLimitPolicy
    public let allowed: Bool
    public let remaining: Int
    /// Seconds until the window is entirely free again.
    public let resetSeconds: Int
    /// Seconds until a request would be allowed; set only when refused.
    public let retryAfterSeconds: Int?

    public init(policy: RateLimitPolicy, allowed: Bool, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?) {
        self.policy = policy
        self.allowed = allowed
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// The generic cell rate algorithm: exact, and stateful in one number per key (the
/// theoretical arrival time). Each request costs `window / limit`; a request is allowed
/// while the arrival time stays within one window of now. The Redis script does the
/// same arithmetic in Lua; both are tested by the same contract suite.
public enum GCRA {
    /// Evaluates a request at `now` (milliseconds) against the stored arrival time.
    /// Returns the decision and the arrival time to store (unchanged when refused).
    public static func evaluate(storedTAT: Int64?, nowMillis: Int64, policy: RateLimitPolicy) -> (
        RateLimitDecision, newTAT: Int64
    ) {
        let window = Int64(policy.windowSeconds) * 1000
        let interval = max(1, window / Int64(policy.limit))
        let tat = max(storedTAT ?? nowMillis, nowMillis)
        let newTAT = tat + interval
        let allowAt = newTAT - window
        if nowMillis < allowAt {
            return (decision(policy: policy, allowed: false, usedMillis: tat - nowMillis, retryMillis: allowAt - nowMillis), tat)
        }
        return (decision(policy: policy, allowed: true, usedMillis: newTAT - nowMillis, retryMillis: 0), newTAT)
    }

    /// The decision from what the algorithm computed: how much of the window is in use
    /// after this request (the stored arrival time minus now) and, when refused, how long
    /// until the next request would be allowed. Shared with adapters that run the
    /// arithmetic elsewhere (the Redis script), so the headers are computed one way.
    public static func decision(policy: RateLimitPolicy, allowed: Bool, usedMillis: Int64, retryMillis: Int64)
        -> RateLimitDecision
    {
        let window = Int64(policy.windowSeconds) * 1000
        let interval = max(1, window / Int64(policy.limit))
        return RateLimitDecision(
            policy: policy, allowed: allowed,
            remaining: max(0, Int((window - usedMillis) / interval)),
            resetSeconds: ceilSeconds(usedMillis),
            retryAfterSeconds: allowed ? nil : max(1, ceilSeconds(retryMillis)))
    }

    static func ceilSeconds(_ millis: Int64) -> Int { Int((millis + 999) / 1000) }
}
