import Foundation
public import Ports

/// Deletes what is older than the retention period: final jobs and their output,
/// sessions that ended, and published outbox messages.
public struct PurgeExpired: Sendable {
    let jobs: any JobRepository
    let sessions: any SessionStore
    let outbox: any Outbox
    let clock: any WallClock
    let retentionDays: Int

    public init(jobs: any JobRepository, sessions: any SessionStore, outbox: any Outbox, clock: any WallClock, retentionDays: Int)
    {
        self.jobs = jobs
        self.sessions = sessions
        self.outbox = outbox
        self.clock = clock
        self.retentionDays = retentionDays
    }

    public struct Purged: Hashable, Sendable {
        public let jobs: Int
        public let sessions: Int
        public let outboxMessages: Int
    }

    @discardableResult
    public func callAsFunction() async throws -> Purged {
        let cutoff = clock.now().addingTimeInterval(-Double(retentionDays) * 86_400)
        return Purged(
            jobs: try await jobs.purgeFinished(before: cutoff),
            sessions: try await sessions.purge(endedBefore: cutoff),
            outboxMessages: try await outbox.purgePublished(before: cutoff))
    }
}
