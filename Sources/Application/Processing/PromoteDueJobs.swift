import Domain
import Foundation
public import Ports

/// The scheduler's work: moves scheduled jobs whose time has come to `queued` and
/// writes their dispatches to the outbox, in one transaction. Rows are claimed with
/// skip-locked semantics, so even two schedulers cannot promote a job twice.
public struct PromoteDueJobs: Sendable {
    let jobs: any JobRepository
    let cache: any Cache
    let outboxSignal: any OutboxSignal
    let clock: any WallClock
    let ids: any IDGenerator

    public init(
        jobs: any JobRepository, cache: any Cache, outboxSignal: any OutboxSignal, clock: any WallClock, ids: any IDGenerator
    ) {
        self.jobs = jobs
        self.cache = cache
        self.outboxSignal = outboxSignal
        self.clock = clock
        self.ids = ids
    }

    /// Promotes at most `limit` jobs; returns how many it promoted.
    @discardableResult
    public func callAsFunction(limit: Int = 500) async throws -> Int {
        let now = clock.now()
        let promoted = try await jobs.updateDue(now: now, limit: limit) { [ids] changes in
            var promoted: [Job] = []
            for (id, var job) in changes.jobs {
                guard (try? job.promote(now: now)) != nil else { continue }
                changes.jobs[id] = job
                changes.outbox.append(.dispatch(JobDispatch(eventID: ids.next(), job: job, occurredAt: now)))
                promoted.append(job)
            }
            return promoted
        }
        if !promoted.isEmpty { outboxSignal.outboxChanged() }
        let jobCache = JobCache(cache: cache)
        for job in promoted { await jobCache.invalidate(job) }
        return promoted.count
    }
}
