public import Domain
public import Foundation
public import Ports

/// A file as uploaded (`POST /files`): its id (what a job's `inputs` name), its size and
/// the SHA-256 of what the store holds.
public struct UploadedFile: Hashable, Sendable {
    public let id: UUID
    public let size: Int64
    /// Lowercase hex.
    public let sha256: String

    public init(id: UUID, size: Int64, sha256: String) {
        self.id = id
        self.size = size
        self.sha256 = sha256
    }
}

/// Keeps an uploaded file in object storage under its owner (`InputRules.objectKey`),
/// for jobs of that owner to name as inputs. The bytes go to a local spool file as they
/// arrive and from there to the store (in parts when large): no step holds the file in
/// memory, and the SHA-256 is the store's, of what it holds.
public struct UploadFile: Sendable {
    let store: (any ObjectStore)?
    let spool: any UploadSpool
    let ids: any IDGenerator
    /// The most one file may hold (the cap of every file the service keeps).
    public let maxBytes: Int64

    public init(store: (any ObjectStore)?, spool: any UploadSpool, ids: any IDGenerator, maxBytes: Int64) {
        self.store = store
        self.spool = spool
        self.ids = ids
        self.maxBytes = maxBytes
    }

    /// Whether this caller may upload at all: checked before the body is read, so that a
    /// viewer, or a deployment without object storage, is refused before the bytes come.
    public func check(caller: AccessClaims) throws {
        guard caller.role.mayCreateJobs else { throw UseCaseError.forbidden("viewers may not upload files") }
        guard store != nil else {
            throw UseCaseError.unprocessable("this deployment has no object storage, so it cannot keep uploaded files")
        }
    }

    /// Stores the bytes of `chunks`, which must be `declaredBytes` long (the HTTP layer
    /// has checked that against `maxBytes`; the count here holds whatever the framing did).
    public func callAsFunction(
        caller: AccessClaims, declaredBytes: Int64, chunks: some AsyncSequence<[UInt8], any Error>
    ) async throws -> UploadedFile {
        try check(caller: caller)
        guard let store else { throw UseCaseError.unavailable("no object storage") }
        // An empty body is most often a client that forgot to send the file; a job that
        // needs an empty file can create one itself.
        guard declaredBytes > 0 else { throw UseCaseError.invalid(field: "body", "is empty; upload a file of at least one byte") }
        let file = try await spool.create()
        do {
            var received: Int64 = 0
            for try await chunk in chunks {
                received += Int64(chunk.count)
                guard received <= min(maxBytes, declaredBytes) else { break }
                try await file.append(chunk)
            }
            guard received == declaredBytes else {
                throw UseCaseError.invalid(field: "body", "must be exactly as long as its Content-Length")
            }
            await file.finish()
            let id = ids.next()
            let stored: StoredObject
            do {
                stored = try await store.put(
                    InputRules.objectKey(owner: caller.userID, file: id), file: file.path,
                    contentType: "application/octet-stream")
            } catch is ObjectStoreError {
                throw UseCaseError.unavailable("the object store is unavailable; try again later")
            }
            await file.discard()
            return UploadedFile(id: id, size: stored.size, sha256: stored.sha256)
        } catch {
            await file.discard()
            throw error
        }
    }
}
