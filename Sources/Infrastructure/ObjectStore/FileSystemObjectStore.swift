import Crypto
public import Foundation
public import Ports

#if canImport(Glibc)
    import Glibc
#endif

/// Objects as files under one directory (`CLOUDTASK_OBJECT_STORE_URL=file:///path`): for
/// one machine whose API and workers share a disk (`scripts/start.sh`, the embedded mode),
/// where an S3 server would be one more thing to run. A key is a relative path under the
/// directory; one that could leave it (`..`, an empty or absolute part) is refused. A put
/// writes a temporary file and renames it into place, so a reader sees the whole object or
/// none. File I/O runs on a thread of its own, never on the cooperative pool.
public struct FileSystemObjectStore: ObjectStore {
    let root: String

    /// `root` is made (0700) when it does not exist.
    public init(root: String) throws {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        try FileManager.default.createDirectory(
            atPath: self.root + "/.incoming", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(self.root, 0o700)
    }

    public func put(_ key: String, bytes: [UInt8], contentType: String) async throws -> StoredObject {
        let path = try self.path(of: key)
        return try await Self.blocking { [root] in
            let temporary = try Self.temporaryFile(root: root)
            guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
                throw ObjectStoreError.unavailable("cannot write under \(root)")
            }
            try Self.moveIntoPlace(temporary, path)
            return StoredObject(key: key, size: Int64(bytes.count), sha256: SHA256.hash(data: bytes).hexString)
        }
    }

    public func put(_ key: String, file source: String, contentType: String) async throws -> StoredObject {
        let path = try self.path(of: key)
        return try await Self.blocking { [root] in
            guard let input = FileHandle(forReadingAtPath: source) else {
                throw ObjectStoreError.rejected("cannot read the file")
            }
            defer { try? input.close() }
            let temporary = try Self.temporaryFile(root: root)
            guard let output = FileHandle(forWritingAtPath: temporary) else {
                throw ObjectStoreError.unavailable("cannot write under \(root)")
            }
            var hash = SHA256()
            var size: Int64 = 0
            do {
                defer { try? output.close() }
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                    hash.update(data: chunk)
                    try output.write(contentsOf: chunk)
                    size += Int64(chunk.count)
                }
            } catch {
                unlink(temporary)
                throw ObjectStoreError.unavailable("copying failed: \(error)")
            }
            try Self.moveIntoPlace(temporary, path)
            return StoredObject(key: key, size: size, sha256: hash.finalize().hexString)
        }
    }

    public func get(_ key: String, maxBytes: Int) async throws -> [UInt8] {
        let path = try self.path(of: key)
        return try await Self.blocking {
            let size = try Self.size(at: path)
            guard size <= Int64(maxBytes) else { throw ObjectStoreError.tooLarge(limit: maxBytes) }
            guard let data = FileManager.default.contents(atPath: path) else { throw ObjectStoreError.notFound }
            return Array(data)
        }
    }

    public func open(_ key: String) async throws -> ObjectReader {
        let path = try self.path(of: key)
        let size = try await Self.blocking { try Self.size(at: path) }
        guard let file = SerialFileReader(path: path) else { throw ObjectStoreError.notFound }
        return ObjectReader(size: size) {
            let chunk = try await file.read(upTo: 1 << 20)
            return chunk.isEmpty ? nil : Array(chunk)
        }
    }

    public func size(of key: String) async throws -> Int64 {
        let path = try self.path(of: key)
        return try await Self.blocking { try Self.size(at: path) }
    }

    public func list(prefix: String) async throws -> [ObjectSummary] {
        // Walk only the deepest directory the prefix names in full.
        let directory = prefix.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !directory.isEmpty { _ = try path(of: directory) }
        return try await Self.blocking { [root] in
            let base = directory.isEmpty ? root : root + "/" + directory
            guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
            var found: [ObjectSummary] = []
            while let relative = walker.nextObject() as? String {
                let key = directory.isEmpty ? relative : directory + "/" + relative
                guard key.hasPrefix(prefix), !key.hasPrefix(".incoming"), let facts = try? Self.facts(at: root + "/" + key)
                else { continue }
                found.append(ObjectSummary(key: key, size: facts.size, modified: facts.modified))
            }
            return found.sorted { $0.key < $1.key }
        }
    }

    public func delete(_ keys: [String]) async throws {
        let paths = try keys.map(path(of:))
        try await Self.blocking { [root] in
            for path in paths {
                guard unlink(path) == 0 || errno == ENOENT else {
                    throw ObjectStoreError.unavailable("cannot delete under \(root)")
                }
                // Directories left empty go too, up to the root.
                var parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
                while parent.count > root.count, rmdir(parent) == 0 {
                    parent = String(parent[..<(parent.lastIndex(of: "/") ?? parent.startIndex)])
                }
            }
        }
    }

    /// Files have no URLs of their own: downloads pass through the API.
    public func presignedURL(for key: String, expiresIn seconds: Int, now: Date) -> URL? { nil }

    // MARK: Paths and files

    /// The file of `key`; a key that could name anything outside the root is refused.
    func path(of key: String) throws -> String {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }), !key.contains("\0"),
            parts.first != ".incoming"
        else { throw ObjectStoreError.rejected("not a key this store can hold") }
        return root + "/" + key
    }

    private static func size(at path: String) throws -> Int64 {
        try facts(at: path).size
    }

    /// A regular file's size and time of last change (`mtime`: a put renames a new file
    /// into place, so it is the time of the put).
    private static func facts(at path: String) throws -> (size: Int64, modified: Date) {
        var facts = stat()
        guard lstat(path, &facts) == 0, facts.st_mode & S_IFMT == S_IFREG else { throw ObjectStoreError.notFound }
        let modified = Date(
            timeIntervalSince1970: TimeInterval(facts.st_mtim.tv_sec) + TimeInterval(facts.st_mtim.tv_nsec) / 1e9)
        return (Int64(facts.st_size), modified)
    }

    private static func temporaryFile(root: String) throws -> String {
        guard let (fd, path) = TemporaryFile.make(in: root + "/.incoming", prefix: "object") else {
            throw ObjectStoreError.unavailable("cannot write under \(root)")
        }
        close(fd)
        return path
    }

    private static func moveIntoPlace(_ temporary: String, _ path: String) throws {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            unlink(temporary)
            throw ObjectStoreError.unavailable("cannot make a directory for the object")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ObjectStoreError.unavailable("cannot move the object into place")
        }
    }

    /// Runs blocking file work on a thread of its own.
    private static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingFileIO.run(work)
    }
}
