public import Foundation

/// An object as stored: its key, size and SHA-256 (hex, computed on the way in).
public struct StoredObject: Hashable, Sendable {
    public let key: String
    public let size: Int64
    public let sha256: String

    public init(key: String, size: Int64, sha256: String) {
        self.key = key
        self.size = size
        self.sha256 = sha256
    }
}

/// An object listed under a prefix.
public struct ObjectSummary: Hashable, Sendable {
    public let key: String
    public let size: Int64
    /// When it was last written, as the store keeps it (S3 to the second): what retention
    /// measures an uploaded file's age by.
    public let modified: Date

    public init(key: String, size: Int64, modified: Date) {
        self.key = key
        self.size = size
        self.modified = modified
    }
}

/// An object's bytes as they arrive: its size, then chunks on demand. Nothing is read
/// ahead of the reader, so a slow reader holds one chunk at a time, never the object.
/// One consumer calls `next()` at a time; nil ends it.
public struct ObjectReader: Sendable {
    public let size: Int64
    private let pull: @Sendable () async throws -> [UInt8]?

    public init(size: Int64, next: @escaping @Sendable () async throws -> [UInt8]?) {
        self.size = size
        pull = next
    }

    public func next() async throws -> [UInt8]? { try await pull() }
}

/// Why an object-store call failed.
public enum ObjectStoreError: Error, Hashable, Sendable {
    /// No object has this key.
    case notFound
    /// The configured bucket does not exist.
    case bucketMissing
    /// The store refused the request for good (credentials, permissions, a bad key).
    case rejected(String)
    /// Unreachable, timed out, or failing (5xx) after the retries: try again later.
    case unavailable(String)
    /// The object is larger than the caller's limit.
    case tooLarge(limit: Int)
}

/// Where artifacts, full logs and input files are kept (S3, or memory for the tests and
/// the embedded mode). Keys are `/`-separated UTF-8 paths chosen by the service, never
/// by a client as they are.
public protocol ObjectStore: Sendable {
    func put(_ key: String, bytes: [UInt8], contentType: String) async throws -> StoredObject
    /// Uploads a file without holding it in memory (in parts when it is large).
    func put(_ key: String, file path: String, contentType: String) async throws -> StoredObject
    /// The whole object, refused past `maxBytes` (`ObjectStoreError.tooLarge`).
    func get(_ key: String, maxBytes: Int) async throws -> [UInt8]
    /// The object, read as it is sent on (`ObjectStoreError.notFound` when absent).
    func open(_ key: String) async throws -> ObjectReader
    /// The object's size, or `ObjectStoreError.notFound`.
    func size(of key: String) async throws -> Int64
    /// Every object whose key starts with `prefix`, in key order.
    func list(prefix: String) async throws -> [ObjectSummary]
    /// Deletes the objects (a key that is already absent is not an error).
    func delete(_ keys: [String]) async throws
    /// A URL that lets anyone holding it read the object until `expiresIn` seconds from
    /// `now`; nil for a store that has no such thing (memory).
    func presignedURL(for key: String, expiresIn seconds: Int, now: Date) -> URL?
}
