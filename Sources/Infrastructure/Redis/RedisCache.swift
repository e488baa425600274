import Foundation
public import Logging
public import Ports
import Synchronization

/// The versioned cache in Redis (cache-aside). Every read and write is one script,
/// so a slow reader cannot put an old state back over an invalidation.
///
/// Outages: every failure is a miss (the cache is bypassed). An invalidation that could
/// not be written leaves a stale entry behind, so the next time Redis answers this
/// adapter first bumps the shared cache epoch: entries of older epochs read as misses
/// in every process, and nothing cached before the outage is trusted after it.
public final class RedisCache: Cache {
    private let client: RedisClient
    private let keys: RedisKeys
    private let epochBumpDue = Mutex(false)
    private let decoded = DecodedValueMemo()
    private let logger: Logger

    public init(client: RedisClient, prefix: String, logger: Logger) {
        self.client = client
        keys = RedisKeys(prefix: prefix)
        self.logger = logger
    }

    public func get<Value: Codable & Sendable>(_ type: Value.Type, key: CacheKey) async -> Value? {
        guard await epochIsCurrent(),
            let reply = try? await client.evaluate(
                RedisScripts.cacheRead, keys: [keys.cache(key.value), keys.cacheEpoch], arguments: []),
            case .bulk(let bytes) = reply
        else { return nil }
        return decoded.decode(Value.self, key: key.value, from: bytes)
    }

    /// Answered from the access gate's read-ahead when it is this key's: the same script
    /// ran in the same round trip as the gate's. Not while an epoch bump is due (the bump
    /// must come before any read is trusted).
    public func get<Value: Codable & Sendable>(_ type: Value.Type, key: CacheKey, readAhead: CacheReadAhead?) async -> Value? {
        guard let readAhead, readAhead.key == key, let read = readAhead.payload as? RedisCacheRead,
            !epochBumpDue.withLock({ $0 })
        else { return await get(type, key: key) }
        guard case .bulk(let bytes) = read.reply else { return nil }
        return decoded.decode(Value.self, key: key.value, from: bytes)
    }

    public func put<Value: Codable & Sendable>(_ value: Value, key: CacheKey, version: Int, ttlSeconds: Int) async {
        guard await epochIsCurrent(), let data = try? JSONEncoder().encode(value) else { return }
        _ = try? await client.evaluate(
            RedisScripts.cacheWrite, keys: [keys.cache(key.value), keys.cacheEpoch],
            arguments: [
                String(version), String(max(1, ttlSeconds)), "put", String(decoding: data, as: UTF8.self),
            ])
    }

    public func invalidate(_ key: CacheKey, version: Int, ttlSeconds: Int) async {
        do {
            _ = try await client.evaluate(
                RedisScripts.cacheWrite, keys: [keys.cache(key.value), keys.cacheEpoch],
                arguments: [
                    String(version), String(max(1, ttlSeconds)), "invalidate",
                ])
        } catch {
            epochBumpDue.withLock { $0 = true }
        }
    }

    /// All the invalidations in one pipelined round trip (the results processor sends a
    /// batch's worth at once).
    public func invalidate(_ entries: [(key: CacheKey, version: Int)], ttlSeconds: Int) async {
        guard entries.count > 1 else {
            for entry in entries { await invalidate(entry.key, version: entry.version, ttlSeconds: ttlSeconds) }
            return
        }
        let ttl = String(max(1, ttlSeconds))
        let commands = entries.map { entry in
            [
                "EVALSHA", RedisScripts.cacheWrite.sha1, "2", keys.cache(entry.key.value), keys.cacheEpoch,
                String(entry.version), ttl, "invalidate",
            ]
        }
        do {
            let replies = try await client.pipeline(commands)
            // A server that does not know the script yet answers NOSCRIPT: those go one by
            // one, which loads it.
            for (entry, reply) in zip(entries, replies) {
                if case .error = reply { await invalidate(entry.key, version: entry.version, ttlSeconds: ttlSeconds) }
            }
        } catch {
            epochBumpDue.withLock { $0 = true }
        }
    }

    /// Bumps the epoch if an invalidation was missed; false while that cannot be done.
    private func epochIsCurrent() async -> Bool {
        guard epochBumpDue.withLock({ $0 }) else { return true }
        guard (try? await client.send("INCR", keys.cacheEpoch))?.integer != nil else { return false }
        epochBumpDue.withLock { $0 = false }
        logger.notice("cache epoch bumped: entries cached before the Redis outage are no longer trusted")
        return true
    }
}

/// The cache read script's reply, carried in a `CacheReadAhead` from the access gate.
struct RedisCacheRead: Sendable {
    let reply: RedisReply
}
