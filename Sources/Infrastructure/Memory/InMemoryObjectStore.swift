import Crypto
public import Foundation
public import Ports
import Synchronization

/// Objects in memory, for the fast tests: the same answers as the S3 adapter, no URLs.
public final class InMemoryObjectStore: ObjectStore {
    private struct Entry {
        let bytes: [UInt8]
        let written: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let clock: any WallClock

    /// `clock` dates each write (what a listing reports as `modified`).
    public init(clock: any WallClock = SystemClock()) {
        self.clock = clock
    }

    public func put(_ key: String, bytes: [UInt8], contentType: String) async throws -> StoredObject {
        let entry = Entry(bytes: bytes, written: clock.now())
        entries.withLock { $0[key] = entry }
        return StoredObject(key: key, size: Int64(bytes.count), sha256: SHA256.hash(data: bytes).hexString)
    }

    public func put(_ key: String, file path: String, contentType: String) async throws -> StoredObject {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ObjectStoreError.rejected("cannot read \(path)")
        }
        return try await put(key, bytes: Array(data), contentType: contentType)
    }

    public func get(_ key: String, maxBytes: Int) async throws -> [UInt8] {
        guard let bytes = entries.withLock({ $0[key]?.bytes }) else { throw ObjectStoreError.notFound }
        guard bytes.count <= maxBytes else { throw ObjectStoreError.tooLarge(limit: maxBytes) }
        return bytes
    }

    public func open(_ key: String) async throws -> ObjectReader {
        guard let bytes = entries.withLock({ $0[key]?.bytes }) else { throw ObjectStoreError.notFound }
        let offset = Mutex(0)
        return ObjectReader(size: Int64(bytes.count)) {
            offset.withLock { start in
                guard start < bytes.count else { return nil }
                let end = min(bytes.count, start + 65_536)
                defer { start = end }
                return Array(bytes[start..<end])
            }
        }
    }

    public func size(of key: String) async throws -> Int64 {
        guard let bytes = entries.withLock({ $0[key]?.bytes }) else { throw ObjectStoreError.notFound }
        return Int64(bytes.count)
    }

    public func list(prefix: String) async throws -> [ObjectSummary] {
        entries.withLock { entries in
            entries.filter { $0.key.hasPrefix(prefix) }
                .map { ObjectSummary(key: $0.key, size: Int64($0.value.bytes.count), modified: $0.value.written) }
                .sorted { $0.key < $1.key }
        }
    }

    public func delete(_ keys: [String]) async throws {
        entries.withLock { entries in for key in keys { entries[key] = nil } }
    }

    public func presignedURL(for key: String, expiresIn seconds: Int, now: Date) -> URL? { nil }
}
