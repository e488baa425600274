import Foundation
import Ports
import Testing

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

    @Test("a batch of invalidations works like each one alone, the first use of the script included", arguments: Adapters.caches)
    func batchInvalidation(adapter: Adapter<any Cache>) async throws {
        let keys = (0..<5).map { CacheKey("thing:\(UUID())-\($0)") }
        try await adapter.run { cache in
            for key in keys { await cache.put(CachedThing(name: "v1", version: 1), key: key, version: 1, ttlSeconds: 60) }
            await cache.invalidate(keys.prefix(4).map { ($0, 2) }, ttlSeconds: 60)
            for key in keys.prefix(4) {
                #expect(await cache.get(CachedThing.self, key: key) == nil)
                await cache.put(CachedThing(name: "v1", version: 1), key: key, version: 1, ttlSeconds: 60)
                #expect(await cache.get(CachedThing.self, key: key) == nil, "the marker refuses the old version")
            }
            #expect(await cache.get(CachedThing.self, key: keys[4])?.name == "v1", "entries not named stay")
        }
    }

    @Test("readers racing writers never leave an old state cached", arguments: Adapters.caches)
    func race(adapter: Adapter<any Cache>) async throws {
        try await adapter.run { cache in
            for round in 1...25 {
                let key = CacheKey("race:\(UUID())")
                // A reader that loaded version `round` puts it while the writer moves the
                // state to `round + 1` and invalidates, in whatever order they land.
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await cache.put(CachedThing(name: "old", version: round), key: key, version: round, ttlSeconds: 60)
                    }
                    group.addTask { await cache.invalidate(key, version: round + 1, ttlSeconds: 60) }
                    group.addTask {
                        await cache.put(CachedThing(name: "old", version: round), key: key, version: round, ttlSeconds: 60)
                    }
                }
                #expect(await cache.get(CachedThing.self, key: key) == nil, "round \(round)")
            }
        }
    }
}
