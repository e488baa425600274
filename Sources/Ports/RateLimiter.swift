public import Domain
public import Foundation

/// Counts requests per key against a policy, shared by every API instance.
public protocol RateLimiter: Sendable {
    /// Counts one request of `key` under `policy` and says whether it may proceed.
    func check(_ policy: RateLimitPolicy, key: String, now: Date) async throws -> RateLimitDecision
}
