public import Domain
import Foundation
public import Ports

/// The results processor's work: applies a batch of worker reports to the jobs in one
/// transaction, through the state machine. Duplicates and stale reports change
/// nothing; a failed attempt with attempts left is rescheduled with backoff; a job
/// whose workers keep dying fails `worker_lost`, and its last run is told to stop.
public struct RecordJobEvents: Sendable {
    let jobs: any JobRepository
    let cache: JobCache
    let outboxSignal: any OutboxSignal
    let clock: any WallClock
    let ids: any IDGenerator
    let random: any RandomSource
    let backoff: Backoff
    let stopSignal: (any StopSignal)?

    public init(
        jobs: any JobRepository, cache: any Cache, outboxSignal: any OutboxSignal, clock: any WallClock,
        ids: any IDGenerator, random: any RandomSource, backoff: Backoff, stopSignal: (any StopSignal)? = nil
    ) {
        self.jobs = jobs
        self.stopSignal = stopSignal
        self.cache = JobCache(cache: cache)
        self.outboxSignal = outboxSignal
        self.clock = clock
        self.ids = ids
        self.random = random
        self.backoff = backoff
    }

    /// Returns each event's effect, in the order given.
    @discardableResult
    public func callAsFunction(_ events: [JobEvent]) async throws -> [EventEffect] {
        guard !events.isEmpty else { return [] }
        let now = clock.now()
        let (effects, changed, lost) = try await jobs.update(Set(events.map(\.jobID))) { [random, backoff, ids] changes in
            var effects: [EventEffect] = []
            var lost: [JobID] = []
            for event in events {
                guard var job = changes.jobs[event.jobID] else {
                    effects.append(.ignored(.unexpected))
                    continue
                }
                let effect = job.apply(event, now: now) { attempt in
                    backoff.delay(afterAttempt: attempt, jitter: random.unitInterval())
                }
                changes.jobs[event.jobID] = job
                changes.recordOutput(for: job.id, reset: effect.resetsOutput, append: effect.appendedOutput)
                switch effect {
                case .finished, .retryScheduled: changes.artifacts[job.id] = event.artifacts
                default: break
                }
                if effect == .workerLost {
                    changes.outbox.append(.stop(StopRequest(eventID: ids.next(), jobID: job.id, occurredAt: now)))
                    lost.append(job.id)
                }
                effects.append(effect)
            }
            let changed = effects.contains(where: \.changedJob) ? Array(changes.jobs.values) : []
            return (effects, changed, lost)
        }
        if !lost.isEmpty { outboxSignal.outboxChanged() }
        // The dispatch of a job that kills its worker is still in the queue and would
        // be handed to worker after worker; the stop marker makes the next one skip it.
        for job in lost { try? await stopSignal?.mark(job, ttlSeconds: 86_400) }
        await cache.invalidate(Array(changed))
        return effects
    }

    /// A report of `event`'s job could not be recorded and is being set aside: the job
    /// fails `report_rejected` (unless it is final already, or the report is of an older
    /// attempt), and a run that may still be going is told to stop, as for `worker_lost`.
    @discardableResult
    public func failUnrecorded(_ event: JobEvent) async throws -> EventEffect {
        let now = clock.now()
        let (effect, changed) = try await jobs.update([event.jobID]) { [ids] changes -> (EventEffect, Job?) in
            guard var job = changes.jobs[event.jobID] else { return (.ignored(.unexpected), nil) }
            guard event.attempt >= job.attempts else { return (.ignored(.staleAttempt), nil) }
            let wasRunning = job.status == .running
            let effect = job.failUnrecordedReport(now: now)
            guard effect.changedJob else { return (effect, nil) }
            changes.jobs[event.jobID] = job
            if wasRunning {
                changes.outbox.append(.stop(StopRequest(eventID: ids.next(), jobID: job.id, occurredAt: now)))
            }
            return (effect, job)
        }
        if let changed {
            outboxSignal.outboxChanged()
            try? await stopSignal?.mark(changed.id, ttlSeconds: 86_400)
            await cache.invalidate([changed])
        }
        return effect
    }
}
