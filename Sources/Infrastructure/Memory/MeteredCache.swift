import Application
import Metrics
public import Ports

/// Counts a cache's hits and misses (`cloudtask_cache_requests_total{result}`) around
/// whichever adapter it wraps.
public struct MeteredCache: Cache {
    let base: any Cache
    private let hits = Counter(label: MetricNames.cacheRequests, dimensions: [("result", "hit")])
    private let misses = Counter(label: MetricNames.cacheRequests, dimensions: [("result", "miss")])

    public init(_ base: any Cache) { self.base = base }

    public func get<Value: Codable & Sendable>(_ type: Value.Type, key: CacheKey) async -> Value? {
        let value = await base.get(type, key: key)
        (value == nil ? misses : hits).increment()
        return value
    }

    public func get<Value: Codable & Sendable>(_ type: Value.Type, key: CacheKey, readAhead: CacheReadAhead?) async -> Value? {
        let value = await base.get(type, key: key, readAhead: readAhead)
        (value == nil ? misses : hits).increment()
        return value
    }

    public func put<Value: Codable & Sendable>(_ value: Value, key: CacheKey, version: Int, ttlSeconds: Int) async {
        await base.put(value, key: key, version: version, ttlSeconds: ttlSeconds)
    }

    public func invalidate(_ key: CacheKey, version: Int, ttlSeconds: Int) async {
        await base.invalidate(key, version: version, ttlSeconds: ttlSeconds)
    }

    public func invalidate(_ entries: [(key: CacheKey, version: Int)], ttlSeconds: Int) async {
        await base.invalidate(entries, ttlSeconds: ttlSeconds)
    }
}
