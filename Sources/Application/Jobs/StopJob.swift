public import Domain
public import Ports

/// Stops a job. One that has not started is cancelled on the spot and will never run;
/// a running one is marked, and every worker is told (through the outbox, so the
/// broadcast cannot be lost) and the stop marker set for workers that poll it.
public struct StopJob: Sendable {
    let jobs: any JobRepository
    let stopSignal: any StopSignal
    let outboxSignal: any OutboxSignal
    let cache: JobCache
    let clock: any WallClock
    let ids: any IDGenerator
    let settings: JobSettings

    public init(
        jobs: any JobRepository, stopSignal: any StopSignal, outboxSignal: any OutboxSignal,
        cache: any Cache, clock: any WallClock, ids: any IDGenerator, settings: JobSettings
    ) {
        self.jobs = jobs
        self.stopSignal = stopSignal
        self.outboxSignal = outboxSignal
        self.cache = JobCache(cache: cache)
        self.clock = clock
        self.ids = ids
        self.settings = settings
    }

    public func callAsFunction(caller: AccessClaims, id: JobID, context: AuditContext = .none) async throws
        -> (job: Job, effect: StopEffect)
    {
        guard caller.role.mayCreateJobs else { throw UseCaseError.forbidden("viewers may not stop jobs") }
        let now = clock.now()
        let eventID = ids.next()
        let (job, effect) = try await jobs.update([id]) { changes throws -> (Job, StopEffect) in
            guard var job = changes.jobs[id], caller.role.maySee(jobOwnedBy: job.ownerID, caller: caller.userID) else {
                throw UseCaseError.notFound
            }
            let effect: StopEffect
            do { effect = try job.requestStop(now: now) } catch {
                throw UseCaseError.conflict("job is not running")
            }
            changes.jobs[id] = job
            changes.outbox.append(.stop(StopRequest(eventID: eventID, jobID: id, occurredAt: now)))
            if job.ownerID != caller.userID {
                // An admin acting on someone else's job: recorded with the stop itself.
                changes.audit.append(
                    AuditRecord(
                        at: now, action: .jobStoppedByAdmin, actor: caller.userID, account: job.ownerID,
                        subject: "job:\(id)", context: context,
                        details: ["effect": effect == .cancelled ? "cancelled" : "stopping"]))
            }
            return (job, effect)
        }
        outboxSignal.outboxChanged()
        await cache.invalidate(job)
        // The marker is the fast path for a worker about to start the job; the
        // broadcast above is the one that cannot be lost, so a failure here is tolerable.
        try? await stopSignal.mark(id, ttlSeconds: settings.stopMarkerTTLSeconds)
        return (job, effect)
    }
}
