import Domain
import Foundation
public import Ports

/// After a restart of a process whose queue was in memory (the single-node mode), the
/// dispatches of queued and running jobs were lost with it: this writes them to the
/// outbox again. A running job gets a redelivery of its current attempt (it counts
/// towards `worker_lost`), a queued one its next attempt. A job dispatched twice runs
/// at least once, which is the promise; the state machine sorts out the duplicate.
public struct RedispatchInFlightJobs: Sendable {
    let jobs: any JobRepository
    let outboxSignal: any OutboxSignal
    let clock: any WallClock
    let ids: any IDGenerator

    public init(jobs: any JobRepository, outboxSignal: any OutboxSignal, clock: any WallClock, ids: any IDGenerator) {
        self.jobs = jobs
        self.outboxSignal = outboxSignal
        self.clock = clock
        self.ids = ids
    }

    /// Returns how many dispatches it wrote.
    @discardableResult
    public func callAsFunction() async throws -> Int {
        var total = 0
        for status in [JobStatus.queued, .running] {
            var cursor: JobCursor?
            repeat {
                let page = try await jobs.list(JobQuery(owner: nil, status: status, limit: 500, after: cursor))
                cursor = page.count == 500 ? page.last.map { JobCursor(createdAt: $0.createdAt, id: $0.id) } : nil
                let now = clock.now()
                total += try await jobs.update(Set(page.map(\.id))) { [ids] changes in
                    var written = 0
                    for job in changes.jobs.values where job.status == status {
                        let attempt = job.status == .running ? job.attempts : job.attempts + 1
                        changes.outbox.append(
                            .dispatch(
                                JobDispatch(
                                    eventID: ids.next(), jobID: job.id, attempt: attempt, command: job.command, args: job.args,
                                    priority: job.priority, timeoutSeconds: job.timeoutSeconds, occurredAt: now,
                                    limits: job.limits)))
                        written += 1
                    }
                    return written
                }
            } while cursor != nil
        }
        if total > 0 { outboxSignal.outboxChanged() }
        return total
    }
}
