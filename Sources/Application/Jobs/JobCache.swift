import Domain
import Ports

/// How jobs are kept in the cache: by id, versioned by the job's own version counter,
/// so that a reader holding an older state can never overwrite a newer one.
struct JobCache: Sendable {
    let cache: any Cache
    static let ttlSeconds = 60

    static func key(_ id: JobID) -> CacheKey { CacheKey("job:\(id)") }

    func get(_ id: JobID, readAhead: CacheReadAhead? = nil) async -> Job? {
        await cache.get(Job.self, key: Self.key(id), readAhead: readAhead)
    }

    func put(_ job: Job) async {
        await cache.put(job, key: Self.key(job.id), version: job.version, ttlSeconds: Self.ttlSeconds)
    }

    func invalidate(_ job: Job) async {
        await cache.invalidate(Self.key(job.id), version: job.version, ttlSeconds: Self.ttlSeconds)
    }

    func invalidate(_ jobs: [Job]) async {
        await cache.invalidate(jobs.map { (Self.key($0.id), $0.version) }, ttlSeconds: Self.ttlSeconds)
    }
}
