public import Domain
public import Ports
import Synchronization

/// What a live view's subscription yields.
public enum JobFeedSignal: Sendable {
    case changed(JobChange)
    /// The hub's clock beat: time for a heartbeat. `resync` says changes may have been
    /// missed (the shared subscription was re-established, or a periodic check is due),
    /// so a view that can re-read the store should.
    case tick(resync: Bool)
}

/// Fans one process's shared change feed out to its live views. A subscriber costs an
/// `AsyncStream` and a dictionary entry: no thread, no connection, no timer of its own —
/// one clock (`runTicks`) beats for all of them.
public final class JobChangeHub: Sendable {
    public enum Interest: Hashable, Sendable {
        case job(JobID)
        case owner(UserID)
        case everyone
    }

    private struct State {
        var nextID = 0
        var continuations: [Int: AsyncStream<JobFeedSignal>.Continuation] = [:]
        var byJob: [JobID: Set<Int>] = [:]
        var byOwner: [UserID: Set<Int>] = [:]
        var everyone: Set<Int> = []
        var resyncDue = false
    }

    private let state = Mutex(State())
    /// How many signals a slow subscriber may fall behind by before older ones are
    /// dropped (a view re-reads the store at its next tick, so nothing is lost for good).
    private let buffer: Int

    public init(buffer: Int = 256) { self.buffer = buffer }

    /// Signals for `interest`, from now until the subscription is cancelled (or its
    /// stream dropped, or the hub stops).
    public func subscribe(_ interest: Interest) -> JobChangeSubscription {
        let (stream, continuation) = AsyncStream.makeStream(of: JobFeedSignal.self, bufferingPolicy: .bufferingNewest(buffer))
        let id = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.continuations[id] = continuation
            switch interest {
            case .job(let job): state.byJob[job, default: []].insert(id)
            case .owner(let owner): state.byOwner[owner, default: []].insert(id)
            case .everyone: state.everyone.insert(id)
            }
            return id
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id, interest) }
        return JobChangeSubscription(signals: stream, continuation: continuation)
    }

    public var subscriberCount: Int { state.withLock { $0.continuations.count } }

    /// Whether anyone here watches this owner's jobs as a list (and so needs the job
    /// itself with each change, not only the notice).
    public func watchesJobs(of owner: UserID) -> Bool {
        state.withLock { !$0.everyone.isEmpty || $0.byOwner[owner] != nil }
    }

    /// Whether anyone here would be told of a change to this job.
    public func wants(job: JobID, owner: UserID) -> Bool {
        state.withLock { !$0.everyone.isEmpty || $0.byJob[job] != nil || $0.byOwner[owner] != nil }
    }

    /// Hands a change to every subscriber interested in it.
    public func deliver(_ change: JobChange) {
        let targets = state.withLock { state in
            var ids = state.everyone
            ids.formUnion(state.byJob[change.jobID] ?? [])
            ids.formUnion(state.byOwner[change.ownerID] ?? [])
            return ids.compactMap { state.continuations[$0] }
        }
        for continuation in targets { continuation.yield(.changed(change)) }
    }

    /// The shared subscription was (re)established: changes may have been missed.
    public func resubscribed() {
        state.withLock { $0.resyncDue = true }
    }

    /// One beat for every subscriber.
    public func tick(resync: Bool = false) {
        let (targets, resync) = state.withLock { state in
            let resync = resync || state.resyncDue
            state.resyncDue = false
            return (Array(state.continuations.values), resync)
        }
        for continuation in targets { continuation.yield(.tick(resync: resync)) }
    }

    /// Beats every `interval` until cancelled; every `resyncEvery`-th beat asks views to
    /// re-read the store (a guard against changes the feed never delivered).
    public func runTicks(every interval: Duration, resyncEvery: Int = 4) async {
        var count = 0
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { break }
            count += 1
            tick(resync: count % resyncEvery == 0)
        }
    }

    /// Ends every subscription (at shutdown).
    public func finishAll() {
        let all = state.withLock { Array($0.continuations.values) }
        for continuation in all { continuation.finish() }
    }

    private func remove(_ id: Int, _ interest: Interest) {
        state.withLock { state in
            state.continuations[id] = nil
            switch interest {
            case .job(let job):
                state.byJob[job]?.remove(id)
                if state.byJob[job]?.isEmpty == true { state.byJob[job] = nil }
            case .owner(let owner):
                state.byOwner[owner]?.remove(id)
                if state.byOwner[owner]?.isEmpty == true { state.byOwner[owner] = nil }
            case .everyone:
                state.everyone.remove(id)
            }
        }
    }
}

/// One subscriber's signals. Cancel it when done: the hub forgets it at once, rather
/// than when the last reference to its stream goes.
public struct JobChangeSubscription: Sendable {
    public let signals: AsyncStream<JobFeedSignal>
    let continuation: AsyncStream<JobFeedSignal>.Continuation

    public func cancel() { continuation.finish() }
}

/// Within one process the hub can take announcements directly (tests, and anything
/// that needs no transport between writer and views).
extension JobChangeHub: JobChangePublisher {
    public func publish(_ changes: [JobChange]) async {
        for change in changes { deliver(change) }
    }
}
