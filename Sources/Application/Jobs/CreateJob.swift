public import Domain
import Foundation
public import Ports

/// Accepts a job: validates it against the deployment's policies and stores it with
/// its dispatch in one transaction. A `201` from here means the job is never lost.
public struct CreateJob: Sendable {
    let jobs: any JobRepository
    let outboxSignal: any OutboxSignal
    let clock: any WallClock
    let ids: any IDGenerator
    let settings: JobSettings

    public init(
        jobs: any JobRepository, outboxSignal: any OutboxSignal, clock: any WallClock,
        ids: any IDGenerator, settings: JobSettings
    ) {
        self.jobs = jobs
        self.outboxSignal = outboxSignal
        self.clock = clock
        self.ids = ids
        self.settings = settings
    }

    /// The job, and whether it was made now (`false`: an idempotent repeat). `trace` is
    /// the span of the request (docs/tracing.md): the job's runs join that trace.
    public func callAsFunction(
        caller: AccessClaims, request: JobRequest, idempotencyKey: String?, trace: TraceParent? = nil
    ) async throws -> (
        job: Job, created: Bool
    ) {
        guard caller.role.mayCreateJobs else { throw UseCaseError.forbidden("viewers may not create jobs") }
        if let idempotencyKey, let earlier = try await jobs.job(owner: caller.userID, idempotencyKey: idempotencyKey) {
            return try repeated(earlier, request: request)
        }
        guard settings.allowlist.allows(request.command) else {
            throw UseCaseError.unprocessable("command '\(request.command)' is not allowed on this deployment")
        }
        if !request.artifacts.isEmpty && !settings.artifactsAvailable {
            throw UseCaseError.unprocessable("this deployment has no object storage, so jobs cannot keep artifacts")
        }
        if let asked = request.limits {
            let maxima = caller.role == .admin ? settings.adminLimitMaxima : settings.limitMaxima
            let exceeding = asked.resolved(defaults: settings.limitDefaults).exceeding(maxima)
            if !exceeding.isEmpty {
                throw UseCaseError.unprocessable(
                    exceeding.map { "\($0.field) must be at most \($0.maximum) on this deployment" }.joined(separator: "; "))
            }
        }
        let now = clock.now()
        let job = Job(
            id: JobID(ids.next()), ownerID: caller.userID, request: request, idempotencyKey: idempotencyKey, now: now,
            defaultLimits: settings.limitDefaults, trace: trace)
        let dispatch =
            job.status == .queued ? OutboxMessage.dispatch(JobDispatch(eventID: ids.next(), job: job, occurredAt: now)) : nil
        switch try await jobs.create(job, dispatch: dispatch, unfinishedLimit: settings.maxUnfinishedJobs) {
        case .created(let stored):
            if dispatch != nil { outboxSignal.outboxChanged() }
            return (stored, true)
        case .existing(let earlier):
            return try repeated(earlier, request: request)
        case .tooManyUnfinished(let limit):
            throw UseCaseError.unprocessable("the limit of \(limit) unfinished jobs per user is reached")
        }
    }

    private func repeated(_ earlier: Job, request: JobRequest) throws -> (job: Job, created: Bool) {
        guard earlier.wasMade(from: request) else {
            throw UseCaseError.conflict("Idempotency-Key was already used with a different request")
        }
        return (earlier, false)
    }
}
