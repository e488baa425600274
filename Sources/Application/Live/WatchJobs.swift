public import Domain
import Foundation
public import Ports

/// A live view of many jobs' states, for list views: the caller's jobs, or every job
/// for an admin who asks. It carries no history: a client that reconnects reads the
/// list again (`GET /jobs`) and watches from then on.
public struct WatchJobs: Sendable {
    let hub: JobChangeHub
    let clock: any WallClock

    public init(hub: JobChangeHub, clock: any WallClock) {
        self.hub = hub
        self.clock = clock
    }

    public enum Event: Hashable, Sendable {
        case changed(Job)
        case heartbeat
    }

    /// One watcher's events, and a way to end them (at server shutdown).
    public struct Watch: Sendable {
        public let events: AsyncStream<Event>
        let subscription: JobChangeSubscription

        public func stop() { subscription.cancel() }
    }

    public func callAsFunction(caller: AccessClaims, allOwners: Bool) throws -> Watch {
        if allOwners && !caller.role.maySeeAllJobs { throw UseCaseError.forbidden("only admins may watch every user's jobs") }
        let subscription = hub.subscribe(allOwners ? .everyone : .owner(caller.userID))
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(256))
        let (clock, until) = (clock, caller.expiresAt)
        let task = Task {
            defer { subscription.cancel() }
            watching: for await signal in subscription.signals {
                switch signal {
                case .changed(let change):
                    // The hub's feeder attached the job (read once for every watcher).
                    if change.jobChanged, let job = change.job { continuation.yield(.changed(job)) }
                case .tick:
                    // The token expired: end, and let the client come back with a fresh one.
                    if clock.now() >= until { break watching }
                    continuation.yield(.heartbeat)
                    continue
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return Watch(events: stream, subscription: subscription)
    }
}
