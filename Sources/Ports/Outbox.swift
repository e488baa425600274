public import Domain
public import Foundation

/// A stop request for a job, broadcast to every worker.
public struct StopRequest: Hashable, Sendable, Codable {
    public let eventID: UUID
    public let jobID: JobID
    public let occurredAt: Date
    public init(eventID: UUID, jobID: JobID, occurredAt: Date) {
        self.eventID = eventID
        self.jobID = jobID
        self.occurredAt = occurredAt
    }
}

/// A message written in the same transaction as the change it announces, and
/// published afterwards: nothing is announced that did not happen, and nothing that
/// happened goes unannounced, whatever crashes in between.
public enum OutboxMessage: Hashable, Sendable, Codable {
    case dispatch(JobDispatch)
    case stop(StopRequest)

    public var jobID: JobID {
        switch self {
        case .dispatch(let dispatch): dispatch.jobID
        case .stop(let stop): stop.jobID
        }
    }
}

/// The relay's side of the outbox.
public protocol Outbox: Sendable {
    /// Claims up to `limit` unpublished messages, oldest first (skipping any another
    /// relay holds), hands them to `publish`, and marks them published only if it
    /// returns. If it throws, they stay for the next try.
    func relay(limit: Int, _ publish: @Sendable ([OutboxMessage]) async throws -> Void) async throws -> Int
    /// How many messages wait, and how old the oldest is (for the lag metric).
    func backlog(now: Date) async throws -> (count: Int, oldestAgeSeconds: Double)
    /// Forgets published messages older than `cutoff`.
    func purgePublished(before cutoff: Date) async throws -> Int
}

/// Wakes the outbox relay right after a commit that wrote to the outbox, so that a new
/// job is published within milliseconds rather than at the next poll. A missed wake-up
/// only costs latency: the relay polls as well.
public protocol OutboxSignal: Sendable {
    func outboxChanged()
}
