/// A cache key, namespaced by what it holds.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { value }
}

/// A best-effort, versioned cache (cache-aside). Failures are swallowed by adapters:
/// a cache that does not answer is a miss, never an error.
///
/// Versions keep a slow reader from putting an old state back: `put` stores only when
/// no newer version is cached, and `invalidate` leaves a marker of the newest version
/// so that a racing `put` of an older one is refused.
public protocol Cache: Sendable {
    func get<Value: Codable & Sendable>(_ type: Value.Type, key: CacheKey) async -> Value?
    /// `get`, answered from an entry the access gate read along when it is this key's and
    /// this adapter's own kind; otherwise a normal read.
    func get<Value: Codable & Sendable>(_ type: Value.Type, key: CacheKey, readAhead: CacheReadAhead?) async -> Value?
    func put<Value: Codable & Sendable>(_ value: Value, key: CacheKey, version: Int, ttlSeconds: Int) async
    /// Drops the entry; puts of versions below `version` are refused until the TTL passes.
    func invalidate(_ key: CacheKey, version: Int, ttlSeconds: Int) async
    /// `invalidate` for several entries at once (one round trip where the store allows).
    func invalidate(_ entries: [(key: CacheKey, version: Int)], ttlSeconds: Int) async
}

extension Cache {
    public func get<Value: Codable & Sendable>(_ type: Value.Type, key: CacheKey, readAhead: CacheReadAhead?) async -> Value? {
        await get(type, key: key)
    }

    public func invalidate(_ entries: [(key: CacheKey, version: Int)], ttlSeconds: Int) async {
        for entry in entries { await invalidate(entry.key, version: entry.version, ttlSeconds: ttlSeconds) }
    }
}
