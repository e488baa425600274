public import Domain
public import Foundation
public import Ports
import Synchronization

/// GCRA counters in memory: the embedded mode's limiter, and the per-process fallback
/// when Redis is unavailable.
public final class InMemoryRateLimiter: RateLimiter {
    private let arrivals = Mutex<[String: Int64]>([:])

    public init() {}

    public func check(_ policy: RateLimitPolicy, key: String, now: Date) async throws -> RateLimitDecision {
        let nowMillis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let slot = "\(policy.name):\(key)"
        return arrivals.withLock { arrivals in
            let (decision, tat) = GCRA.evaluate(storedTAT: arrivals[slot], nowMillis: nowMillis, policy: policy)
            arrivals[slot] = tat
            if arrivals.count > 100_000 { arrivals = arrivals.filter { $0.value > nowMillis } }
            return decision
        }
    }
}
