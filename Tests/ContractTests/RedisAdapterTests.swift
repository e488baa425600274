import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Testing

/// What only the Redis adapters have: logging in, failing fast, and what they do
/// after they lost their connections (the cache epoch, the denylist refill). Each test
/// connects as an ACL user of its own, so that `CLIENT KILL USER` cuts only its links.
@Suite("Redis adapters", .enabled(if: RedisFixture.url != nil))
struct RedisAdapterTests {
    /// A user with every right, its client, and the fixture client for admin commands.
    static func withUser(database: Int = 0, _ body: @Sendable (RedisClient, String, String) async throws -> Void) async throws {
        let admin = try #require(RedisFixture.client)
        let base = try #require(RedisFixture.url)
        let user = "test-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await admin.send("ACL", "SETUSER", user, "on", ">pw-\(user)", "~*", "&*", "+@all")
        var url = base
        url.username = user
        url.password = "pw-\(user)"
        url.database = database
        let client = RedisClient(url: url, settings: .init(connections: 2), logger: RedisFixture.logger)
        do {
            try await RedisFixture.withPrefix { _, prefix in try await body(client, user, prefix) }
        } catch {
            _ = try? await admin.send("ACL", "DELUSER", user)
            throw error
        }
        _ = try await admin.send("ACL", "DELUSER", user)
    }

    static func cut(_ user: String) async throws {
        _ = try await #require(RedisFixture.client).send("CLIENT", "KILL", "USER", user)
    }

    @Test("a URL with a user, a password and a database logs in as that user and selects it")
    func login() async throws {
        try await Self.withUser(database: 3) { client, user, _ in
            let info = try #require(try await client.send("CLIENT", "INFO").text)
            #expect(info.contains("user=\(user)") && info.contains("db=3"))
        }
    }

    @Test("a refused password or an unreachable server fails, then fails fast while backing off")
    func failures() async throws {
        let base = try #require(RedisFixture.url)
        var wrong = base
        wrong.username = "nobody-\(UUID().uuidString.prefix(6))"
        wrong.password = "wrong"
        for url in [wrong, RedisURL(host: "127.0.0.1", port: 1)] {
            let client = RedisClient(url: url, settings: .init(initialBackoff: .seconds(30)), logger: RedisFixture.logger)
            await #expect(throws: RedisError.self) { try await client.send("PING") }
            do {
                _ = try await client.send("PING")
                Issue.record("expected a failure")
            } catch {
                #expect(error.description == RedisError.backingOff.description)
            }
            #expect(await client.ping() == false)
        }
    }

    @Test("after a missed invalidation the cache epoch moves: nothing cached before is trusted, in any process")
    func cacheEpoch() async throws {
        try await Self.withUser { client, user, prefix in
            let admin = try #require(RedisFixture.client)
            let mine = RedisCache(client: client, prefix: prefix, logger: RedisFixture.logger)
            let another = RedisCache(client: admin, prefix: prefix, logger: RedisFixture.logger)
            await mine.put(CachedThing(name: "a", version: 1), key: CacheKey("a"), version: 1, ttlSeconds: 60)
            await another.put(CachedThing(name: "b", version: 1), key: CacheKey("b"), version: 1, ttlSeconds: 60)
            #expect(await another.get(CachedThing.self, key: CacheKey("a"))?.name == "a")

            try await Self.cut(user)
            await mine.invalidate(CacheKey("a"), version: 2, ttlSeconds: 60)  // lost: the connection is gone
            #expect(await mine.get(CachedThing.self, key: CacheKey("a")) == nil)  // bypassed while backing off
            try await Task.sleep(for: .milliseconds(150))

            #expect(await mine.get(CachedThing.self, key: CacheKey("a")) == nil)
            #expect(await another.get(CachedThing.self, key: CacheKey("a")) == nil)
            #expect(await another.get(CachedThing.self, key: CacheKey("b")) == nil)
            await another.put(CachedThing(name: "b2", version: 2), key: CacheKey("b"), version: 2, ttlSeconds: 60)
            #expect(await mine.get(CachedThing.self, key: CacheKey("b"))?.name == "b2")
        }
    }

    @Test("after a missed revocation the gate defers to the session store until the list is refilled")
    func denylistRefill() async throws {
        try await Self.withUser { client, user, prefix in
            let health = RedisDenylistHealth()
            health.refilled(health.refillDue().ticket)
            let clock = SystemClock()
            try await RedisFixture.markComplete(client, prefix)
            let denylist = RedisTokenDenylist(client: client, prefix: prefix, health: health, clock: clock)
            let gate = RedisRateLimiter(client: client, prefix: prefix, denylistHealth: health, logger: RedisFixture.logger)
            let sessions = InMemorySessionStore()
            let session = Session(
                id: SessionID(UUID()), userID: UserID(UUID()), createdAt: clock.now(),
                expiresAt: clock.now().addingTimeInterval(3600))
            try await sessions.create(session, token: RefreshTokenHash(UUID().uuidString), audit: nil)
            #expect(try await gate.check(tokenID: UUID(), session: session.id, limits: [], now: clock.now()).revoked == false)

            try await Self.cut(user)
            _ = try await sessions.revoke(session.id, reason: .logout, at: clock.now(), audit: nil)
            await #expect(throws: PortError.unavailable) {
                try await denylist.revoke(session: session.id, until: clock.now().addingTimeInterval(900))
            }
            try await Task.sleep(for: .milliseconds(150))
            // Redis answers again but missed the write: "unknown", so the store decides.
            #expect(try await gate.check(tokenID: UUID(), session: session.id, limits: [], now: clock.now()).revoked == nil)

            let (due, ticket, takeOver) = health.refillDue()
            #expect(due && takeOver)
            let refill = RefillDenylist(sessions: sessions, denylist: denylist, clock: clock, accessTokenTTLSeconds: 900)
            #expect(try await denylist.refill({ try await refill() }, takeOver: takeOver) == 1)
            health.refilled(ticket)
            #expect(health.refillDue().due == false)
            #expect(try await gate.check(tokenID: UUID(), session: session.id, limits: [], now: clock.now()).revoked == true)
            #expect(
                try await gate.check(tokenID: UUID(), session: SessionID(UUID()), limits: [], now: clock.now()).revoked == false)
        }
    }

    @Test("when Redis comes back empty, no process trusts a 'not listed' until one of them has refilled the list")
    func denylistLostItsData() async throws {
        try await RedisFixture.withPrefix { client, prefix in
            let clock = SystemClock()
            try await RedisFixture.markComplete(client, prefix)
            // Two processes: neither missed a write (the data was lost, not a write).
            let processes = (0..<2).map { _ in
                let health = RedisDenylistHealth()
                health.refilled(health.refillDue().ticket)
                return (
                    health: health, denylist: RedisTokenDenylist(client: client, prefix: prefix, health: health, clock: clock),
                    gate: RedisRateLimiter(client: client, prefix: prefix, denylistHealth: health, logger: RedisFixture.logger)
                )
            }
            let sessions = InMemorySessionStore()
            let session = Session(
                id: SessionID(UUID()), userID: UserID(UUID()), createdAt: clock.now(),
                expiresAt: clock.now().addingTimeInterval(3600))
            try await sessions.create(session, token: RefreshTokenHash(UUID().uuidString), audit: nil)
            _ = try await sessions.revoke(session.id, reason: .logout, at: clock.now(), audit: nil)
            try await processes[0].denylist.revoke(session: session.id, until: clock.now().addingTimeInterval(900))
            #expect(
                try await processes[1].gate.check(tokenID: UUID(), session: session.id, limits: [], now: clock.now()).revoked
                    == true)

            await RedisFixture.clean(client, prefix)  // what a restart without persistence leaves
            for process in processes {
                #expect(
                    try await process.gate.check(tokenID: UUID(), session: session.id, limits: [], now: clock.now()).revoked
                        == nil)
                await #expect(throws: PortError.unavailable) {
                    try await process.denylist.isRevoked(tokenID: UUID(), session: session.id)
                }
                #expect(process.health.refillDue().due)
            }
            // One refills; the other, finding it under way, leaves it alone.
            let refill = RefillDenylist(
                sessions: sessions, denylist: processes[0].denylist, clock: clock, accessTokenTTLSeconds: 900)
            let marker = prefix + "denylist-complete"
            _ = try await client.send("SET", marker, "filling:someone-else", "PX", "60000")
            #expect(try await processes[1].denylist.refill({ try await refill() }, takeOver: false) == nil)
            _ = try await client.send("DEL", marker)
            #expect(try await processes[0].denylist.refill({ try await refill() }, takeOver: false) == 1)
            for process in processes {
                process.health.refilled(process.health.refillDue().ticket)
                #expect(
                    try await process.gate.check(tokenID: UUID(), session: session.id, limits: [], now: clock.now()).revoked
                        == true)
                #expect(
                    try await process.gate.check(tokenID: UUID(), session: SessionID(UUID()), limits: [], now: clock.now())
                        .revoked == false)
            }
        }
    }

    @Test("the gate reads a cache entry along in its round trip: the value, a miss, never for a revoked token")
    func readAhead() async throws {
        try await RedisFixture.withPrefix { client, prefix in
            let health = RedisDenylistHealth()
            health.refilled(health.refillDue().ticket)  // as after the start-up refill
            try await RedisFixture.markComplete(client, prefix)
            let gate = RedisRateLimiter(client: client, prefix: prefix, denylistHealth: health, logger: RedisFixture.logger)
            let cache = RedisCache(client: client, prefix: prefix, logger: RedisFixture.logger)
            let denylist = RedisTokenDenylist(client: client, prefix: prefix, health: health, clock: SystemClock())
            let key = CacheKey("thing:\(UUID())")
            let other = CacheKey("thing:\(UUID())")
            let session = SessionID(UUID())
            await cache.put(CachedThing(name: "v1", version: 1), key: key, version: 1, ttlSeconds: 60)
            let policy = RateLimitPolicy(name: "api", limit: 10, windowSeconds: 60)

            let answer = try await gate.check(
                tokenID: UUID(), session: session, limits: [RateLimitCheck(policy: policy, key: "u")],
                now: Date(), readAhead: key)
            #expect(answer.revoked == false && answer.decisions.map(\.remaining) == [9])
            let read = try #require(answer.readAhead)
            #expect(await cache.get(CachedThing.self, key: key, readAhead: read) == CachedThing(name: "v1", version: 1))
            // A read-ahead of another key is not used for this one: a normal read answers.
            #expect(await cache.get(CachedThing.self, key: other, readAhead: read) == nil)

            // After an invalidation the read-ahead is a miss, like a read.
            await cache.invalidate(key, version: 2, ttlSeconds: 60)
            let after = try await gate.check(tokenID: UUID(), session: session, limits: [], now: Date(), readAhead: key)
            #expect(await cache.get(CachedThing.self, key: key, readAhead: after.readAhead) == nil)

            // A revoked session reads nothing along, and is not counted.
            try await denylist.revoke(session: session, until: Date().addingTimeInterval(60))
            let refused = try await gate.check(
                tokenID: UUID(), session: session, limits: [RateLimitCheck(policy: policy, key: "u")],
                now: Date(), readAhead: key)
            #expect(refused.revoked == true && refused.readAhead == nil && refused.decisions.isEmpty)
        }
    }

    @Test("while Redis is unreachable the limiter counts per process and the gate answers 'unknown'")
    func fallback() async throws {
        let client = RedisClient(url: RedisURL(host: "127.0.0.1", port: 1), logger: RedisFixture.logger)
        let limiter = RedisRateLimiter(
            client: client, prefix: "x:", denylistHealth: RedisDenylistHealth(), logger: RedisFixture.logger)
        let policy = RateLimitPolicy(name: "login", limit: 2, windowSeconds: 60)
        let now = Date()
        let allowed = try await [0, 1, 2].asyncMap { _ in try await limiter.check(policy, key: "k", now: now).allowed }
        #expect(allowed == [true, true, false])
        let answer = try await limiter.check(
            tokenID: UUID(), session: SessionID(UUID()),
            limits: [RateLimitCheck(policy: policy, key: "k")], now: now)
        #expect(answer.revoked == nil && answer.decisions.map(\.allowed) == [false])
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
