import Foundation
public import Ports
import Synchronization

/// A versioned cache in memory. Values are stored encoded, as Redis stores them, so
/// that a type that does not survive a round trip fails here too.
public final class InMemoryCache: Cache {
    private struct Entry {
        let version: Int
        let data: Data?  // nil: an invalidation marker
        let expiresAt: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let clock: any WallClock

    public init(clock: any WallClock = SystemClock()) { self.clock = clock }

    public func get<Value: Codable & Sendable>(_ type: Value.Type, key: CacheKey) async -> Value? {
        let now = clock.now()
        let data: Data? = entries.withLock { entries in
            guard let entry = entries[key.value], entry.expiresAt > now else { return nil }
            return entry.data
        }
        return data.flatMap { try? JSONDecoder().decode(Value.self, from: $0) }
    }

    public func put<Value: Codable & Sendable>(_ value: Value, key: CacheKey, version: Int, ttlSeconds: Int) async {
        guard let data = try? JSONEncoder().encode(value) else { return }
        write(key, Entry(version: version, data: data, expiresAt: expiry(ttlSeconds)), replaceEqual: false)
    }

    public func invalidate(_ key: CacheKey, version: Int, ttlSeconds: Int) async {
        write(key, Entry(version: version, data: nil, expiresAt: expiry(ttlSeconds)), replaceEqual: true)
    }

    private func expiry(_ ttlSeconds: Int) -> Date { clock.now().addingTimeInterval(Double(ttlSeconds)) }

    /// Keeps the newest version. A put stores only over an older value, or over an
    /// invalidation marker of its own version or older (the reader loaded the state the
    /// writer left); an invalidation replaces anything not newer than itself.
    private func write(_ key: CacheKey, _ entry: Entry, replaceEqual: Bool) {
        let now = clock.now()
        entries.withLock { entries in
            if let current = entries[key.value], current.expiresAt > now {
                let allowed: Bool
                if replaceEqual {
                    allowed = entry.version >= current.version
                } else if current.data == nil {
                    allowed = entry.version >= current.version
                } else {
                    allowed = entry.version > current.version
                }
                guard allowed else { return }
            }
            entries[key.value] = entry
        }
    }
}
