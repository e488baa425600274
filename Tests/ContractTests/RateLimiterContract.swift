import Domain
import Foundation
import Ports
import Testing

@Suite("Contract: RateLimiter")
struct RateLimiterContract {
    @Test("allows the limit, then refuses with a retry time; keys and policies are independent", arguments: Adapters.rateLimiters)
    func limits(adapter: Adapter<any RateLimiter>) async throws {
        try await adapter.run { limiter in
            let policy = RateLimitPolicy(name: "login", limit: 3, windowSeconds: 900)
            let key = "203.0.113.\(Int.random(in: 1...250))-\(UUID())"
            let now = Date()
            var remaining: [Int] = []
            for _ in 0..<3 {
                let decision = try await limiter.check(policy, key: key, now: now)
                #expect(decision.allowed && decision.retryAfterSeconds == nil)
                remaining.append(decision.remaining)
            }
            #expect(remaining == [2, 1, 0])
            let refused = try await limiter.check(policy, key: key, now: now)
            #expect(!refused.allowed && refused.remaining == 0)
            #expect(refused.retryAfterSeconds == 300)
            #expect(refused.resetSeconds == 900)
            #expect(try await limiter.check(policy, key: key + "-other", now: now).allowed)
            let other = RateLimitPolicy(name: "auth", limit: 3, windowSeconds: 900)
            #expect(try await limiter.check(other, key: key, now: now).allowed)
            // One interval later, exactly one more is allowed.
            let later = now.addingTimeInterval(300)
            let again = try await limiter.check(policy, key: key, now: later)
            #expect(again.allowed && again.remaining == 0 && again.resetSeconds == 900)
            #expect(try await limiter.check(policy, key: key, now: later).allowed == false)
        }
    }

    @Test(
        "concurrent checks: exactly the limit allowed, each seeing its own count, with exact reset times",
        arguments: Adapters.rateLimiters)
    func concurrent(adapter: Adapter<any RateLimiter>) async throws {
        try await adapter.run { limiter in
            let policy = RateLimitPolicy(name: "api", limit: 10, windowSeconds: 60)
            let key = "user-\(UUID())"
            let now = Date()
            let decisions = try await withThrowingTaskGroup(of: RateLimitDecision.self) { group in
                for _ in 0..<30 { group.addTask { try await limiter.check(policy, key: key, now: now) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let allowed = decisions.filter(\.allowed)
            #expect(allowed.count == 10)
            #expect(Set(allowed.map(\.remaining)) == Set(0..<10))
            // The n-th allowed request fills n intervals of 6 s.
            #expect(Set(allowed.map(\.resetSeconds)) == Set((1...10).map { $0 * 6 }))
            let refused = decisions.filter { !$0.allowed }
            #expect(refused.count == 20)
            #expect(refused.allSatisfy { $0.retryAfterSeconds == 6 && $0.resetSeconds == 60 && $0.remaining == 0 })
        }
    }
}
