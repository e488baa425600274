public import Ports

/// A lease as a Redis key holding its owner, with a TTL. Acquire, renew and release
/// compare the owner in a script, so a leader that stalled past its lease can neither
/// extend nor delete its successor's.
public struct RedisDistributedLock: DistributedLock {
    let client: RedisClient
    let keys: RedisKeys

    public init(client: RedisClient, prefix: String) {
        self.client = client
        keys = RedisKeys(prefix: prefix)
    }

    public func acquire(_ name: String, owner: String, ttlSeconds: Int) async throws -> Bool {
        try await run(RedisScripts.acquire, name, owner, ttlSeconds: ttlSeconds)
    }

    public func renew(_ name: String, owner: String, ttlSeconds: Int) async throws -> Bool {
        try await run(RedisScripts.renew, name, owner, ttlSeconds: ttlSeconds)
    }

    public func release(_ name: String, owner: String) async throws {
        _ = try await run(RedisScripts.release, name, owner, ttlSeconds: 0)
    }

    private func run(_ script: RedisScript, _ name: String, _ owner: String, ttlSeconds: Int) async throws -> Bool {
        do {
            let reply = try await client.evaluate(
                script, keys: [keys.lease(name)],
                arguments: [owner, String(max(1, ttlSeconds) * 1000)])
            guard let result = reply.integer else { throw PortError.unavailable }
            return result == 1
        } catch {
            throw PortError.unavailable
        }
    }
}
