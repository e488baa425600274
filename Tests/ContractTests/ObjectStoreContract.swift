import Crypto
import Foundation
import Infrastructure
import Ports
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Contract: ObjectStore")
struct ObjectStoreContract {
    static let adapters: [Adapter<any ObjectStore>] =
        [
            .memory { InMemoryObjectStore() },
            Adapter(name: "directory") { body in
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("objects-\(UUID())").path
                defer { try? FileManager.default.removeItem(atPath: root) }
                try await body(try FileSystemObjectStore(root: root))
            },
        ] + S3Fixture.adapter()

    @Test("put, size, get, list by prefix in key order, delete (twice is fine)", arguments: adapters)
    func roundTrip(adapter: Adapter<any ObjectStore>) async throws {
        try await adapter.run { store in
            let keys = ["jobs/1/a b+c%.txt", "jobs/1/ü/ß.bin", "jobs/2/x", "other"]
            for (index, key) in keys.enumerated() {
                let bytes = Array("object \(index) ✓".utf8)
                let stored = try await store.put(key, bytes: bytes, contentType: "text/plain")
                #expect(stored == StoredObject(key: key, size: Int64(bytes.count), sha256: Self.hex(bytes)))
            }
            #expect(try await store.get("jobs/1/ü/ß.bin", maxBytes: 1024) == Array("object 1 ✓".utf8))
            #expect(try await store.size(of: "jobs/1/a b+c%.txt") == Int64(Array("object 0 ✓".utf8).count))
            #expect(try await store.list(prefix: "jobs/1/").map(\.key) == ["jobs/1/a b+c%.txt", "jobs/1/ü/ß.bin"])
            try await store.delete(["jobs/1/a b+c%.txt", "jobs/1/ü/ß.bin"])
            try await store.delete(["jobs/1/a b+c%.txt"])
            #expect(try await store.list(prefix: "jobs/").map(\.key) == ["jobs/2/x"])
            await #expect(throws: ObjectStoreError.notFound) { _ = try await store.get("jobs/1/ü/ß.bin", maxBytes: 10) }
            await #expect(throws: ObjectStoreError.notFound) { _ = try await store.size(of: "absent") }
            await #expect(throws: ObjectStoreError.tooLarge(limit: 3)) { _ = try await store.get("jobs/2/x", maxBytes: 3) }
            #expect(try await store.put("empty", bytes: [], contentType: "text/plain").size == 0)
            #expect(try await store.get("empty", maxBytes: 1) == [])
        }
    }

    @Test("a listing dates each object by its last write (what retention ages uploads by)", arguments: adapters)
    func modified(adapter: Adapter<any ObjectStore>) async throws {
        try await adapter.run { store in
            let before = Date()
            _ = try await store.put("files/dated", bytes: [1], contentType: "application/octet-stream")
            let after = Date()
            let listed = try await store.list(prefix: "files/")
            #expect(listed.map(\.key) == ["files/dated"])
            // S3 keeps the time to the second (cut, not rounded); the store runs on this
            // machine, so its clock is this one's.
            let modified = try #require(listed.first).modified
            #expect(modified >= before.addingTimeInterval(-1) && modified <= after.addingTimeInterval(1), "\(modified)")
        }
    }

    @Test(
        "open reads an object a chunk at a time, whole and in order, with its size; a missing key is notFound",
        arguments: adapters)
    func streamed(adapter: Adapter<any ObjectStore>) async throws {
        try await adapter.run { store in
            // 2.5 MiB: more than one chunk for every adapter.
            let block = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 12)) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(40 << 16)
            for index in 0..<40 { bytes += block.map { $0 &+ UInt8(truncatingIfNeeded: index) } }
            _ = try await store.put("streamed/object", bytes: bytes, contentType: "application/octet-stream")
            let reader = try await store.open("streamed/object")
            #expect(reader.size == Int64(bytes.count))
            var read: [UInt8] = []
            var chunks = 0
            while let chunk = try await reader.next() {
                read += chunk
                chunks += 1
            }
            #expect(read == bytes && chunks > 1)
            #expect(try await reader.next() == nil)
            await #expect(throws: ObjectStoreError.notFound) { _ = try await store.open("streamed/absent") }
        }
    }

    @Test("a directory store refuses a key that could leave its directory, and lists none of its own temporary files")
    func directoryKeys() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("objects-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try FileSystemObjectStore(root: root)
        for key in ["../escape", "a/../../b", "/etc/passwd", "a//b", "", ".incoming/x", "./a"] {
            await #expect(throws: ObjectStoreError.self, "\(key)") { _ = try await store.put(key, bytes: [1], contentType: "x") }
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/../escape"))
        _ = try await store.put("a/b/c", bytes: [1, 2], contentType: "x")
        #expect(try await store.list(prefix: "").map(\.key) == ["a/b/c"])
        try await store.delete(["a/b/c"])
        // Directories left empty go with the last object.
        #expect(!FileManager.default.fileExists(atPath: root + "/a"))
    }

    @Test("a file larger than a part goes up in parts and comes back whole, with its SHA-256", arguments: adapters)
    func largeFile(adapter: Adapter<any ObjectStore>) async throws {
        try await adapter.run { store in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("object-\(UUID()).bin").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            // Two parts (5 MiB, S3's smallest, and a bit), each 64 KiB block different: made
            // with whole-array operations, since a byte-by-byte loop would hold one of the
            // two test threads for seconds and starve the tests that measure time.
            let block = (0..<65_536).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(5 << 20 + 12_345)
            for index in 0..<80 { bytes += block.map { $0 &+ UInt8(truncatingIfNeeded: index) } }
            bytes += block.prefix(12_345)
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let stored = try await store.put("big/file.bin", file: path, contentType: "application/octet-stream")
            #expect(stored.size == Int64(bytes.count) && stored.sha256 == Self.hex(bytes))
            #expect(try await store.size(of: "big/file.bin") == Int64(bytes.count))
            #expect(try await store.get("big/file.bin", maxBytes: 6 << 20) == bytes)
        }
    }

    /// moto does not check signatures or expiry (AWS does): the signature itself is held to
    /// AWS's published example in `SigV4Tests`; this checks the URL's shape and addressing.
    @Test("S3: a presigned URL reads the object without credentials")
    func presigned() async throws {
        guard let store = try await S3Fixture.store() else { return }
        _ = try await store.put("shared/report.txt", bytes: Array("for your eyes".utf8), contentType: "text/plain")
        let url = try #require(store.presignedURL(for: "shared/report.txt", expiresIn: 60, now: Date()))
        let (data, response) = try await URLSession.shared.data(from: url)
        #expect((response as? HTTPURLResponse)?.statusCode == 200 && String(decoding: data, as: UTF8.self) == "for your eyes")
        #expect(url.query?.contains("X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=") == true)
        #expect(InMemoryObjectStore().presignedURL(for: "x", expiresIn: 60, now: Date()) == nil)
    }

    @Test("S3: a missing bucket, and a store that is down, are told apart")
    func failures() async throws {
        guard let settings = S3Fixture.settings(bucket: "never-created-\(UUID().uuidString.prefix(8).lowercased())") else {
            return
        }
        let missing = S3ObjectStore(settings: settings, logger: S3Fixture.logger)
        await #expect(throws: ObjectStoreError.bucketMissing) {
            _ = try await missing.put("k", bytes: [1], contentType: "text/plain")
        }
        // A closed port: unavailable after the retries, never a hang.
        let down = S3ObjectStore(
            settings: S3Fixture.settings(bucket: "b", endpoint: URL(string: "http://127.0.0.1:9")!)!,
            logger: S3Fixture.logger, attempts: 2, timeoutSeconds: 2)
        await #expect {
            _ = try await down.put("k", bytes: [1], contentType: "text/plain")
        } throws: { error in
            if case ObjectStoreError.unavailable = error { return true }
            return false
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }
}
