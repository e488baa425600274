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
    /// The most a worker stores in one object: an object larger than this was not put
    /// there by a worker of this deployment, and is not passed on.
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
        /// The object as it arrives from the store (a chunk at a time: never all in memory).
        case stream(ObjectReader, JobArtifact)
        /// A presigned URL of the object store, valid for a short while.
        case redirect(URL)
    }

    /// One stream of a job's log.
    public enum Log: Sendable {
        /// The whole stream, from object storage (it passed the cap of what PostgreSQL keeps).
        case full(ObjectReader)
        case redirect(URL)
        /// What PostgreSQL holds: the whole stream when `complete`, else its first part
        /// (the full log was not kept: no object storage, or the store refused it).
        case stored(String, complete: Bool)
    }

    /// `stream` (`stdout` or `stderr`) of the job's latest run: from PostgreSQL while it
    /// runs or when it fit under the cap; past the cap, the full log the worker kept.
    public func log(caller: AccessClaims, id: JobID, stream: String) async throws -> Log {
        let job = try await getJob(caller: caller, id: id)
        let output = try await jobs.output(of: id) ?? JobOutput()
        let text = stream == "stderr" ? output.stderr : output.stdout
        guard output.truncated, job.status != .running, job.attempts > 0, let store else {
            return .stored(text, complete: !output.truncated)
        }
        let key = ArtifactRules.logKey(job: id, attempt: job.attempts, stream: stream)
        do {
            if redirectSeconds > 0, try await store.size(of: key) >= 0,
                let url = store.presignedURL(for: key, expiresIn: redirectSeconds, now: clock.now())
            {
                return .redirect(url)
            }
            return .full(try await open(key, in: store))
        } catch ObjectStoreError.notFound {
            return .stored(text, complete: false)  // this stream fit, or its full log was not kept
        } catch ObjectStoreError.tooLarge {
            throw UseCaseError.unprocessable("the full log is larger than this API passes through")
        } catch is ObjectStoreError {
            throw UseCaseError.unavailable("the object store is unavailable; try again later")
        }
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
            return .stream(try await open(key, in: store), artifact)
        } catch ObjectStoreError.notFound {
            throw UseCaseError.conflict("'\(name)' is no longer in the object store")
        } catch ObjectStoreError.tooLarge {
            throw UseCaseError.unprocessable("'\(name)' is larger than this API passes through")
        } catch is ObjectStoreError {
            throw UseCaseError.unavailable("the object store is unavailable; try again later")
        }
    }

    private func open(_ key: String, in store: any ObjectStore) async throws -> ObjectReader {
        let reader = try await store.open(key)
        guard reader.size <= maxBytes else { throw ObjectStoreError.tooLarge(limit: Int(maxBytes)) }
        return reader
    }
}
