public import Domain

/// A job as it stood right after a committed change: what live views are told.
/// `jobChanged` says the job itself changed (its version went up); `outputChanged`, that
/// its stored output grew or started over (output does not bump the version).
public struct JobChange: Hashable, Sendable, Codable {
    public let job: Job
    public let jobChanged: Bool
    public let outputChanged: Bool

    public init(job: Job, jobChanged: Bool, outputChanged: Bool) {
        self.job = job
        self.jobChanged = jobChanged
        self.outputChanged = outputChanged
    }
}

/// Tells every API instance that jobs changed. Called after the commit; best effort:
/// a change that is never delivered only delays a live view, which re-reads the store
/// (the store, not this feed, is the record).
public protocol JobChangePublisher: Sendable {
    func publish(_ changes: [JobChange]) async
}

/// The other end: one shared subscription per process, whose deliveries the process
/// fans out to its own subscribers (`JobChangeHub`).
public protocol JobChangeSource: Sendable {
    /// Delivers changes, in the order published, until the task is cancelled.
    /// `subscribed` is called each time the subscription is (re)established: changes
    /// published while it was down were missed, and readers should re-read the store.
    /// Returns when cancelled; survives outages of its transport by reconnecting.
    func run(subscribed: @escaping @Sendable () -> Void, deliver: @escaping @Sendable (JobChange) -> Void) async
}
