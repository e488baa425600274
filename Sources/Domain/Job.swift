public import Foundation

/// A program run on a worker, with its lifecycle. Change it only through the
/// transitions in `Job+Transitions.swift`, which enforce the state machine.
public struct Job: Hashable, Sendable, Codable {
    public let id: JobID
    public let ownerID: UserID
    public internal(set) var status: JobStatus
    public let command: String
    public let args: [String]
    public let priority: Int
    public let timeoutSeconds: Int
    public let maxAttempts: Int
    /// Attempts begun so far; the next dispatch is for attempt `attempts + 1`.
    public internal(set) var attempts: Int
    /// Deliveries of the current attempt that reported `started`; a redelivered message
    /// (its worker died) counts again. See `Job.maxUnfinishedDeliveries`.
    public internal(set) var deliveries: Int
    /// The worker that runs the current delivery; events from any other are stale.
    public internal(set) var workerID: String?
    public internal(set) var runAt: Date
    public let createdAt: Date
    public internal(set) var updatedAt: Date
    public internal(set) var startedAt: Date?
    public internal(set) var finishedAt: Date?
    public internal(set) var stopRequestedAt: Date?
    public internal(set) var exitCode: Int?
    public internal(set) var failure: JobFailure?
    public let idempotencyKey: String?
    /// `run_at` as the client gave it (nil when omitted); kept for idempotency checks.
    public let requestedRunAt: Date?
    /// Bumped on every change: caches keep only the newest version.
    public internal(set) var version: Int
    /// What the owner calls the job.
    public let name: String?
    /// What its last run used (from the run's cgroup); nil before a run ends, or when the
    /// worker could not measure it.
    public internal(set) var usage: ResourceUsage?
    /// The limits its runs are held to (asked for, or the deployment's defaults when it
    /// was made); nil for jobs made before limits existed (workers use their defaults).
    public let limits: RunLimits?
    /// Whether the owner is mailed when the job ends.
    public let notify: Bool
    /// Files its runs keep from their working directory (ArtifactRules).
    public let artifacts: [String]
    /// Uploaded files its runs start with in their working directory.
    public let inputs: [JobInput]
    /// The trace of the request that made it: every run of the job, in every process,
    /// records its spans there (docs/tracing.md). Nil when the API was not tracing.
    public let trace: TraceParent?

    /// Three deliveries that started and never finished mean the job itself kills its
    /// workers (or is unlucky beyond reason): it fails `worker_lost` instead of a fourth run.
    public static let maxUnfinishedDeliveries = 3

    /// A new job: `scheduled` when `run_at` is in the future, `queued` otherwise.
    public init(
        id: JobID, ownerID: UserID, request: JobRequest, idempotencyKey: String?, now: Date, defaultLimits: RunLimits? = nil,
        trace: TraceParent? = nil
    ) {
        let now = Date.truncatedToMilliseconds(now)
        self.trace = trace
        self.limits = defaultLimits.map { request.limits?.resolved(defaults: $0) ?? $0 }
        self.id = id
        self.ownerID = ownerID
        self.command = request.command
        self.args = request.args
        self.priority = request.priority
        self.timeoutSeconds = request.timeoutSeconds
        self.maxAttempts = request.maxAttempts
        self.attempts = 0
        self.deliveries = 0
        self.runAt = max(request.runAt ?? now, now)
        self.status = (request.runAt.map { $0 > now } ?? false) ? .scheduled : .queued
        self.createdAt = now
        self.updatedAt = now
        self.idempotencyKey = idempotencyKey
        self.requestedRunAt = request.runAt
        self.version = 1
        self.name = request.name
        self.notify = request.notify
        self.artifacts = request.artifacts
        self.inputs = request.inputs
    }

    /// Rebuilds a job read back from storage, exactly as it was stored.
    public init(
        restoring id: JobID, ownerID: UserID, status: JobStatus, command: String, args: [String],
        priority: Int, timeoutSeconds: Int, maxAttempts: Int, attempts: Int, deliveries: Int,
        workerID: String?, runAt: Date, createdAt: Date, updatedAt: Date, startedAt: Date?,
        finishedAt: Date?, stopRequestedAt: Date?, exitCode: Int?, failure: JobFailure?,
        idempotencyKey: String?, requestedRunAt: Date?, version: Int, name: String?, usage: ResourceUsage? = nil,
        limits: RunLimits? = nil, notify: Bool = false, artifacts: [String] = [], inputs: [JobInput] = [],
        trace: TraceParent? = nil
    ) {
        self.trace = trace
        self.inputs = inputs
        self.notify = notify
        self.artifacts = artifacts
        self.usage = usage
        self.limits = limits
        self.id = id
        self.ownerID = ownerID
        self.status = status
        self.command = command
        self.args = args
        self.priority = priority
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
        self.attempts = attempts
        self.deliveries = deliveries
        self.workerID = workerID
        self.runAt = runAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.stopRequestedAt = stopRequestedAt
        self.exitCode = exitCode
        self.failure = failure
        self.idempotencyKey = idempotencyKey
        self.requestedRunAt = requestedRunAt
        self.version = version
        self.name = name
    }

    /// Whether `request` is the request this job was made from (same fields after
    /// defaults): what a repeated `Idempotency-Key` is compared with.
    public func wasMade(from request: JobRequest) -> Bool {
        command == request.command && args == request.args && priority == request.priority
            && timeoutSeconds == request.timeoutSeconds && maxAttempts == request.maxAttempts
            && requestedRunAt == request.runAt && name == request.name && notify == request.notify
            && artifacts == request.artifacts && inputs == request.inputs
            && (request.limits.map { $0.matches(limits) } ?? true)
    }
}
