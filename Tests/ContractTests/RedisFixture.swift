import Foundation
import Infrastructure
import Logging
import Ports

/// Real Redis for the contract suites, when `CLOUDTASK_TEST_REDIS_URL` names one
/// (`scripts/test.sh` starts a throwaway server and sets it). Every test gets a key
/// prefix of its own, deleted afterwards.
enum RedisFixture {
    static let url = ProcessInfo.processInfo.environment["CLOUDTASK_TEST_REDIS_URL"].flatMap { try? RedisURL($0) }
    static let logger = Logger(label: "contract-tests")
    /// One client for every test, as a process has.
    static let client: RedisClient? = url.map { RedisClient(url: $0, logger: logger) }

    static func withPrefix(_ body: @Sendable (RedisClient, String) async throws -> Void) async throws {
        guard let client else { return }
        let prefix = "test:\(UUID().uuidString.lowercased()):"
        do {
            try await body(client, prefix)
        } catch {
            await clean(client, prefix)
            throw error
        }
        await clean(client, prefix)
    }

    static func clean(_ client: RedisClient, _ prefix: String) async {
        _ = try? await client.send(
            "EVAL", "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0",
            "0", prefix + "*")
    }

    static func adapter<Port>(_ make: @escaping @Sendable (RedisClient, String) -> Port) -> [Adapter<Port>] {
        guard url != nil else { return [] }
        return [
            Adapter(name: "redis") { body in
                try await withPrefix { client, prefix in
                    try await markComplete(client, prefix)
                    try await body(make(client, prefix))
                }
            }
        ]
    }

    /// The denylist's completeness marker, as a refill leaves it.
    static func markComplete(_ client: RedisClient, _ prefix: String) async throws {
        _ = try await client.send("SET", prefix + "denylist-complete", "1")
    }

    /// A denylist and the gate reading it, under one prefix; the list counts as refilled.
    static func gate(_ client: RedisClient, _ prefix: String) -> GateUnderTest {
        let health = RedisDenylistHealth()
        health.refilled(health.refillDue().ticket)
        return GateUnderTest(
            gate: RedisRateLimiter(client: client, prefix: prefix, denylistHealth: health, logger: logger),
            denylist: RedisTokenDenylist(client: client, prefix: prefix, health: health, clock: SystemClock()))
    }
}

/// An access gate with the denylist it consults.
struct GateUnderTest: Sendable {
    let gate: any AccessGate
    let denylist: any TokenDenylist
}
