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
    /// Where uploaded input files are (nil: nowhere, and a job can name none).
    let objects: (any ObjectStore)?

    public init(
        jobs: any JobRepository, outboxSignal: any OutboxSignal, clock: any WallClock,
        ids: any IDGenerator, settings: JobSettings, objects: (any ObjectStore)? = nil
    ) {
        self.objects = objects
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
        try await checkInputs(request.inputs, owner: caller.userID)
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

    /// Every input names a file its owner uploaded: the key is built from the caller's id,
    /// so someone else's file id is simply not found.
    private func checkInputs(_ inputs: [JobInput], owner: UserID) async throws {
        guard !inputs.isEmpty else { return }
        guard let objects else {
            throw UseCaseError.unprocessable("this deployment has no object storage, so jobs cannot have input files")
        }
        for (index, input) in inputs.enumerated() {
            do {
                _ = try await objects.size(of: InputRules.objectKey(owner: owner, file: input.file))
            } catch ObjectStoreError.notFound {
                throw UseCaseError.unprocessable("inputs[\(index)].file: you have no uploaded file with this id")
            } catch is ObjectStoreError {
                throw UseCaseError.unavailable("the object store is unavailable; try again later")
            }
        }
    }

    private func repeated(_ earlier: Job, request: JobRequest) throws -> (job: Job, created: Bool) {
        guard earlier.wasMade(from: request) else {
            throw UseCaseError.conflict("Idempotency-Key was already used with a different request")
        }
        return (earlier, false)
    }
}
