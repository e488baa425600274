public import Domain
public import Ports

/// One job, if the caller may see it; someone else's job is "not found".
public struct GetJob: Sendable {
    let jobs: any JobRepository
    let cache: JobCache

    public init(jobs: any JobRepository, cache: any Cache) {
        self.jobs = jobs
        self.cache = JobCache(cache: cache)
    }

    /// The cache entry a read of `id` looks at first: a request may have it read along
    /// with its authentication (`AuthenticateAccessToken`'s `readAhead`).
    public static func cacheKey(for id: JobID) -> CacheKey { JobCache.key(id) }

    public func callAsFunction(caller: AccessClaims, id: JobID, readAhead: CacheReadAhead? = nil) async throws -> Job {
        let job: Job
        if let cached = await cache.get(id, readAhead: readAhead) {
            job = cached
        } else {
            guard let stored = try await jobs.job(id: id) else { throw UseCaseError.notFound }
            await cache.put(stored)
            job = stored
        }
        guard caller.role.maySee(jobOwnedBy: job.ownerID, caller: caller.userID) else { throw UseCaseError.notFound }
        return job
    }
}
