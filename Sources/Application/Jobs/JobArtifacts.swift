public import Domain
public import Foundation
public import Ports

/// A job's artifacts (docs/artifacts.md): the list, and one file's bytes or a short-lived
/// link to them. Owner-scoped like the job itself: someone else's job is a 404.
public struct JobArtifacts: Sendable {
    let jobs: any JobRepository
    let getJob: GetJob
    let store: (any ObjectStore)?
    let clock: any WallClock
    /// The most the API passes through in one download (the workers' per-file limit).
    let maxBytes: Int64
    /// Seconds a presigned link lives; 0: downloads pass through the API.
    let redirectSeconds: Int

    public init(
        jobs: any JobRepository, cache: any Cache, store: (any ObjectStore)?, clock: any WallClock, maxBytes: Int64,
        redirectSeconds: Int
    ) {
        self.jobs = jobs
        self.getJob = GetJob(jobs: jobs, cache: cache)
        self.store = store
        self.clock = clock
        self.maxBytes = maxBytes
        self.redirectSeconds = redirectSeconds
    }

    /// What a download answers with.
    public enum Download: Sendable {
        case bytes([UInt8], JobArtifact)
        /// A presigned URL of the object store, valid for a short while.
        case redirect(URL)
    }

    /// The job's declared files as its latest finished run left them (empty before then).
    public func list(caller: AccessClaims, id: JobID) async throws -> [JobArtifact] {
        _ = try await getJob(caller: caller, id: id)
        return try await jobs.artifacts(of: id)
    }

    public func download(caller: AccessClaims, id: JobID, name: String) async throws -> Download {
        _ = try await getJob(caller: caller, id: id)
        guard let artifact = try await jobs.artifacts(of: id).first(where: { $0.name == name }) else {
            throw UseCaseError.notFound
        }
        guard artifact.isKept else { throw UseCaseError.conflict("'\(name)' was not kept: \(artifact.error ?? "")") }
        guard let store else {
            throw UseCaseError.unavailable("this API process has no object storage configured")
        }
        let key = ArtifactRules.objectKey(job: id, attempt: artifact.attempt, name: name)
        if redirectSeconds > 0, let url = store.presignedURL(for: key, expiresIn: redirectSeconds, now: clock.now()) {
            return .redirect(url)
        }
        do {
            return .bytes(try await store.get(key, maxBytes: Int(maxBytes)), artifact)
        } catch ObjectStoreError.notFound {
            throw UseCaseError.conflict("'\(name)' is no longer in the object store")
        } catch ObjectStoreError.tooLarge {
            throw UseCaseError.unprocessable("'\(name)' is larger than this API passes through")
        } catch is ObjectStoreError {
            throw UseCaseError.unavailable("the object store is unavailable; try again later")
        }
    }
}
