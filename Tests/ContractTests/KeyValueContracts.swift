import Domain
import Foundation
import Ports
import Testing

@Suite("Contract: TokenDenylist")
struct TokenDenylistContract {
    @Test("revoked sessions and token ids are reported; others are not", arguments: Adapters.denylists)
    func revocation(adapter: Adapter<any TokenDenylist>) async throws {
        try await adapter.run { denylist in
            let session = SessionID(UUID()), other = SessionID(UUID())
            let token = UUID(), otherToken = UUID()
            let until = Date().addingTimeInterval(600)
            #expect(try await denylist.isRevoked(tokenID: token, session: session) == false)
            try await denylist.revoke(session: session, until: until)
            #expect(try await denylist.isRevoked(tokenID: otherToken, session: session))
            #expect(try await denylist.isRevoked(tokenID: otherToken, session: other) == false)
            try await denylist.revoke(tokenID: token, until: until)
            #expect(try await denylist.isRevoked(tokenID: token, session: other))
        }
    }

    @Test("an entry whose tokens have already expired is not kept", arguments: Adapters.denylists)
    func expired(adapter: Adapter<any TokenDenylist>) async throws {
        try await adapter.run { denylist in
            let session = SessionID(UUID())
            try await denylist.revoke(session: session, until: Date().addingTimeInterval(-1))
            #expect(try await denylist.isRevoked(tokenID: UUID(), session: session) == false)
        }
    }
}

struct CachedThing: Codable, Hashable, Sendable {
    let name: String
    let version: Int
}

@Suite("Contract: Cache")
struct CacheContract {
    let key = CacheKey("thing:\(UUID())")

    @Test("a put value is read back; a missing key is a miss", arguments: Adapters.caches)
    func roundTrip(adapter: Adapter<any Cache>) async throws {
        let key = self.key
        try await adapter.run { cache in
            #expect(await cache.get(CachedThing.self, key: key) == nil)
            await cache.put(CachedThing(name: "a", version: 1), key: key, version: 1, ttlSeconds: 60)
            #expect(await cache.get(CachedThing.self, key: key) == CachedThing(name: "a", version: 1))
        }
    }

    @Test("an older version never replaces a newer one", arguments: Adapters.caches)
    func versions(adapter: Adapter<any Cache>) async throws {
        let key = self.key
        try await adapter.run { cache in
            await cache.put(CachedThing(name: "new", version: 2), key: key, version: 2, ttlSeconds: 60)
            await cache.put(CachedThing(name: "old", version: 1), key: key, version: 1, ttlSeconds: 60)
            #expect(await cache.get(CachedThing.self, key: key)?.name == "new")
            await cache.put(CachedThing(name: "newer", version: 3), key: key, version: 3, ttlSeconds: 60)
            #expect(await cache.get(CachedThing.self, key: key)?.name == "newer")
        }
    }

    @Test("after an invalidation, a slow reader cannot put the old state back", arguments: Adapters.caches)
    func invalidation(adapter: Adapter<any Cache>) async throws {
        let key = self.key
        try await adapter.run { cache in
            await cache.put(CachedThing(name: "v1", version: 1), key: key, version: 1, ttlSeconds: 60)
            await cache.invalidate(key, version: 2, ttlSeconds: 60)
            #expect(await cache.get(CachedThing.self, key: key) == nil)
            await cache.put(CachedThing(name: "v1", version: 1), key: key, version: 1, ttlSeconds: 60)
            #expect(await cache.get(CachedThing.self, key: key) == nil)
            // The state the writer left may be cached.
            await cache.put(CachedThing(name: "v2", version: 2), key: key, version: 2, ttlSeconds: 60)
            #expect(await cache.get(CachedThing.self, key: key)?.name == "v2")
        }
    }
}

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
            #expect((299...300).contains(refused.retryAfterSeconds ?? 0))
            #expect((899...900).contains(refused.resetSeconds))
            #expect(try await limiter.check(policy, key: key + "-other", now: now).allowed)
            let other = RateLimitPolicy(name: "auth", limit: 3, windowSeconds: 900)
            #expect(try await limiter.check(other, key: key, now: now).allowed)
            // One interval later, one more is allowed.
            #expect(try await limiter.check(policy, key: key, now: now.addingTimeInterval(301)).allowed)
        }
    }

    @Test("concurrent checks never allow more than the limit", arguments: Adapters.rateLimiters)
    func concurrent(adapter: Adapter<any RateLimiter>) async throws {
        try await adapter.run { limiter in
            let policy = RateLimitPolicy(name: "api", limit: 10, windowSeconds: 60)
            let key = "user-\(UUID())"
            let now = Date()
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<30 { group.addTask { try await limiter.check(policy, key: key, now: now).allowed } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == 10)
        }
    }
}

@Suite("Contract: StopSignal")
struct StopSignalContract {
    @Test("a marked job reads as marked; others do not", arguments: Adapters.stopSignals)
    func markers(adapter: Adapter<any StopSignal>) async throws {
        try await adapter.run { signal in
            let job = JobID(UUID())
            #expect(try await signal.isMarked(job) == false)
            try await signal.mark(job, ttlSeconds: 60)
            #expect(try await signal.isMarked(job))
            #expect(try await signal.isMarked(JobID(UUID())) == false)
        }
    }
}

@Suite("Contract: DistributedLock")
struct DistributedLockContract {
    @Test("one owner at a time; only the owner renews or releases", arguments: Adapters.locks)
    func lease(adapter: Adapter<any DistributedLock>) async throws {
        try await adapter.run { lock in
            let name = "scheduler-\(UUID())"
            #expect(try await lock.acquire(name, owner: "a", ttlSeconds: 30))
            #expect(try await lock.acquire(name, owner: "b", ttlSeconds: 30) == false)
            #expect(try await lock.renew(name, owner: "b", ttlSeconds: 30) == false)
            #expect(try await lock.renew(name, owner: "a", ttlSeconds: 30))
            try await lock.release(name, owner: "b")
            #expect(try await lock.acquire(name, owner: "b", ttlSeconds: 30) == false)
            try await lock.release(name, owner: "a")
            #expect(try await lock.acquire(name, owner: "b", ttlSeconds: 30))
            #expect(try await lock.renew(name, owner: "a", ttlSeconds: 30) == false)
        }
    }

    @Test("many contenders at once: exactly one wins", arguments: Adapters.locks)
    func race(adapter: Adapter<any DistributedLock>) async throws {
        try await adapter.run { lock in
            let name = "race-\(UUID())"
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10 { group.addTask { try await lock.acquire(name, owner: "o\(index)", ttlSeconds: 30) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }
}
