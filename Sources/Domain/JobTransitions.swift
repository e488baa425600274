public import Foundation

/// A transition the state machine refused.
public enum JobTransitionError: Error, Hashable, Sendable {
    /// The job is already succeeded, failed or cancelled.
    case alreadyFinal(JobStatus)
    /// Only a scheduled job whose `run_at` has come may be promoted.
    case notDue
    case illegal(from: JobStatus, to: JobStatus)
}

/// What a stop request did.
public enum StopEffect: Hashable, Sendable {
    /// The job had not started and never will: it is `cancelled` now.
    case cancelled
    /// The job is running: its worker is asked to stop it, and reports `cancelled`.
    case stopRequested
}

/// Why an event changed nothing. Workers deliver at least once and may be late, so
/// ignoring is normal, not an error.
public enum IgnoredBecause: String, Hashable, Sendable {
    case finalStatus, staleAttempt, otherWorker, duplicate, unexpected
}

/// What applying one event did to a job.
public enum EventEffect: Hashable, Sendable {
    case ignored(IgnoredBecause)
    /// A delivery began: the stored output starts over.
    case started
    /// The same attempt began again on another worker (the previous one was lost).
    case restarted
    case outputAppended(OutputChunk)
    case finished(JobStatus, output: OutputChunk, resetOutputFirst: Bool)
    case retryScheduled(at: Date, output: OutputChunk)
    /// Three deliveries never finished: the job failed `worker_lost`.
    case workerLost

    /// Whether the stored output must be cleared before `appendedOutput` is added.
    public var resetsOutput: Bool {
        switch self {
        case .started, .restarted: true
        case .finished(_, _, let reset): reset
        default: false
        }
    }

    public var appendedOutput: OutputChunk? {
        switch self {
        case .outputAppended(let chunk), .finished(_, let chunk, _), .retryScheduled(_, let chunk):
            chunk.isEmpty ? nil : chunk
        default: nil
        }
    }

    public var changedJob: Bool {
        if case .ignored = self { false } else { true }
    }
}

extension Job {
    /// scheduled → queued, once `run_at` has come.
    public mutating func promote(now: Date) throws(JobTransitionError) {
        guard status == .scheduled else {
            if status.isFinal { throw .alreadyFinal(status) }
            throw .illegal(from: status, to: .queued)
        }
        guard runAt <= now else { throw .notDue }
        status = .queued
        touch(now)
    }

    /// A user (or admin) asks for the job to stop. A job that has not started is
    /// cancelled at once; a running one is marked, and its worker does the rest.
    public mutating func requestStop(now: Date) throws(JobTransitionError) -> StopEffect {
        switch status {
        case .succeeded, .failed, .cancelled:
            throw .alreadyFinal(status)
        case .scheduled, .queued:
            stopRequestedAt = stopRequestedAt ?? now
            finish(.cancelled, exitCode: nil, failure: .stoppedByRequest, now: now)
            return .cancelled
        case .running:
            if stopRequestedAt == nil {
                stopRequestedAt = now
                touch(now)
            }
            return .stopRequested
        }
    }

    /// Applies a worker's report. Duplicates, reports of older attempts and reports
    /// for a final job change nothing. `retryDelay` gives the backoff in seconds after
    /// a failed attempt (it carries the injected jitter).
    public mutating func apply(_ event: JobEvent, now: Date, retryDelay: (Int) -> Double) -> EventEffect {
        if status.isFinal { return .ignored(.finalStatus) }
        if event.attempt < attempts { return .ignored(.staleAttempt) }
        let isNextAttempt = status == .queued && event.attempt == attempts + 1
        let isCurrentRun = status == .running && event.attempt == attempts

        switch event.kind {
        case .started:
            if isNextAttempt {
                begin(event, now: now)
                return .started
            }
            guard isCurrentRun else { return .ignored(.unexpected) }
            if event.workerID == workerID { return .ignored(.duplicate) }
            if deliveries >= Job.maxUnfinishedDeliveries {
                finish(
                    .failed, exitCode: nil,
                    failure: JobFailure(
                        code: .workerLost,
                        message: "the job's worker was lost \(deliveries) times before it finished"), now: now)
                return .workerLost
            }
            deliveries += 1
            workerID = event.workerID
            touch(now)
            return .restarted

        case .output(let chunk):
            guard isCurrentRun else { return .ignored(.unexpected) }
            guard event.workerID == workerID else { return .ignored(.otherWorker) }
            // What the run has used so far (a worker with a cgroup per run sends it).
            if let used = event.usage, used != usage {
                usage = used
                touch(now)
            }
            return .outputAppended(chunk)

        case .finished(let outcome, let chunk):
            // The started report may have been lost or reordered: a finish of the next
            // attempt implies its start.
            let implicitStart = isNextAttempt
            if implicitStart {
                begin(event, now: now)
            } else {
                guard isCurrentRun else { return .ignored(.unexpected) }
                guard event.workerID == workerID else { return .ignored(.otherWorker) }
            }
            usage = event.usage
            return conclude(outcome, output: chunk, resetOutputFirst: implicitStart, now: now, retryDelay: retryDelay)
        }
    }

    /// A report of this job could not be recorded and was set aside: the job must not
    /// wait for it for ever. A job that is not final fails `report_rejected` (whatever
    /// the report said is unknown); a final job is left as it is.
    public mutating func failUnrecordedReport(now: Date) -> EventEffect {
        guard !status.isFinal else { return .ignored(.finalStatus) }
        finish(.failed, exitCode: nil, failure: .reportRejected, now: now)
        return .finished(.failed, output: OutputChunk(), resetOutputFirst: false)
    }

    private mutating func conclude(
        _ outcome: RunOutcome, output: OutputChunk, resetOutputFirst: Bool, now: Date,
        retryDelay: (Int) -> Double
    ) -> EventEffect {
        switch outcome {
        case .succeeded:
            finish(.succeeded, exitCode: 0, failure: nil, now: now)
            return .finished(.succeeded, output: output, resetOutputFirst: resetOutputFirst)
        case .cancelled(let exitCode):
            finish(.cancelled, exitCode: exitCode, failure: .stoppedByRequest, now: now)
            return .finished(.cancelled, output: output, resetOutputFirst: resetOutputFirst)
        case .failed(let exitCode, let failure):
            if stopRequestedAt != nil {
                // A stop was asked for: however the program died, the user's intent wins.
                finish(.cancelled, exitCode: exitCode, failure: .stoppedByRequest, now: now)
                return .finished(.cancelled, output: output, resetOutputFirst: resetOutputFirst)
            }
            guard attempts < maxAttempts else {
                finish(.failed, exitCode: exitCode, failure: failure, now: now)
                return .finished(.failed, output: output, resetOutputFirst: resetOutputFirst)
            }
            let retryAt = Date.truncatedToMilliseconds(now.addingTimeInterval(retryDelay(attempts)))
            status = .scheduled
            runAt = retryAt
            self.exitCode = exitCode
            self.failure = failure
            workerID = nil
            deliveries = 0
            touch(now)
            return .retryScheduled(at: retryAt, output: output)
        }
    }

    private mutating func begin(_ event: JobEvent, now: Date) {
        status = .running
        attempts = event.attempt
        deliveries = 1
        workerID = event.workerID
        startedAt = Date.truncatedToMilliseconds(min(max(event.startedAt ?? event.occurredAt, createdAt), now))
        finishedAt = nil
        exitCode = nil
        failure = nil
        usage = nil
        touch(now)
    }

    private mutating func finish(_ final: JobStatus, exitCode: Int?, failure: JobFailure?, now: Date) {
        status = final
        self.exitCode = exitCode
        self.failure = failure
        finishedAt = Date.truncatedToMilliseconds(now)
        workerID = nil
        touch(now)
    }

    private mutating func touch(_ now: Date) {
        updatedAt = Date.truncatedToMilliseconds(now)
        version += 1
    }
}
