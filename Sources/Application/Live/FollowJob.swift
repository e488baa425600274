public import Domain
import Foundation
public import Ports

/// A live view of one job: its status changes and output, from a given position, until
/// the job is final. `callAsFunction` checks that the caller may see the job (404
/// otherwise) before anything is streamed; `JobFollow.events()` then does the following.
public struct FollowJob: Sendable {
    let jobs: any JobRepository
    let hub: JobChangeHub
    let clock: any WallClock

    public init(jobs: any JobRepository, hub: JobChangeHub, clock: any WallClock) {
        self.jobs = jobs
        self.hub = hub
        self.clock = clock
    }

    public func callAsFunction(caller: AccessClaims, id: JobID, after position: JobFeedPosition?) async throws -> JobFollow {
        // Subscribe before the first reading, so that no change falls between the two.
        let subscription = hub.subscribe(.job(id))
        guard let snapshot = try await jobs.snapshot(of: id),
            caller.role.maySee(jobOwnedBy: snapshot.job.ownerID, caller: caller.userID)
        else {
            subscription.cancel()
            throw UseCaseError.notFound
        }
        return JobFollow(
            id: id, jobs: jobs, clock: clock, subscription: subscription, first: snapshot,
            position: position ?? .start, until: caller.expiresAt)
    }
}

/// One follower's stream, ready to be read by one task.
public struct JobFollow: Sendable {
    let id: JobID
    let jobs: any JobRepository
    let clock: any WallClock
    let subscription: JobChangeSubscription
    let first: JobSnapshot
    let position: JobFeedPosition
    /// The caller's access token expires then: the stream ends, and the client comes back
    /// with a fresh token (and its last event id), so revocations and role changes apply.
    let until: Date

    /// Ends the stream now (the server is shutting down): `events()` finishes as if the
    /// client's token had expired, and the client reconnects elsewhere from its last id.
    public func stop() { subscription.cancel() }

    /// Events from the position given, ending after the job's final status (or when the
    /// token expires, or the job was deleted, or `stop()` is called).
    public func events() -> AsyncThrowingStream<JobFeedEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: JobFeedEvent.self, bufferingPolicy: .unbounded)
        let task = Task { [self] in
            do {
                try await run { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func run(_ emit: (JobFeedEvent) -> Void) async throws {
        defer { subscription.cancel() }
        var position = position
        var final = false
        func apply(_ snapshot: JobSnapshot) {
            let (events, next) = position.events(toward: snapshot)
            events.forEach(emit)
            position = next
            final = snapshot.job.status.isFinal
        }
        apply(first)
        if final { return }
        for await signal in subscription.signals {
            if Task.isCancelled { return }
            switch signal {
            case .changed(let change):
                guard change.outputChanged || change.version > position.version else { continue }
            case .tick(let resync):
                if clock.now() >= until { return }
                emit(.heartbeat)
                guard resync else { continue }
            }
            guard let snapshot = try await jobs.snapshot(of: id) else { return }
            apply(snapshot)
            if final { return }
        }
    }
}
