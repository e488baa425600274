public import Domain

/// A committed change to a job: what live views are told. `jobChanged` says the job
/// itself changed (its version went up to `version`); `outputChanged`, that its stored
/// output grew or started over (output does not bump the version).
public struct JobChange: Hashable, Sendable {
    public let jobID: JobID
    public let ownerID: UserID
    public let version: Int
    public let jobChanged: Bool
    public let outputChanged: Bool
    /// The job as committed, when the transport carries it (within one process). Across
    /// processes only the notice travels — no JSON to write or read per change — and a
    /// view that needs the job reads it from the store.
    public let job: Job?

    public init(job: Job, jobChanged: Bool, outputChanged: Bool) {
        self.init(
            jobID: job.id, ownerID: job.ownerID, version: job.version, jobChanged: jobChanged,
            outputChanged: outputChanged, job: job)
    }

    public init(jobID: JobID, ownerID: UserID, version: Int, jobChanged: Bool, outputChanged: Bool, job: Job? = nil) {
        self.jobID = jobID
        self.ownerID = ownerID
        self.version = version
        self.jobChanged = jobChanged
        self.outputChanged = outputChanged
        self.job = job
    }

    /// The same change without the job (what crosses a process boundary).
    public var notice: JobChange {
        JobChange(jobID: jobID, ownerID: ownerID, version: version, jobChanged: jobChanged, outputChanged: outputChanged)
    }
}

/// Tells every API instance that jobs changed. Called after the commit; best effort:
/// a change that is never delivered only delays a live view, which re-reads the store
/// (the store, not this feed, is the record). Returns at once.
public protocol JobChangePublisher: Sendable {
    func publish(_ changes: [JobChange]) async
}

/// The other end: one shared subscription per process, whose deliveries the process
/// fans out to its own subscribers (`JobChangeHub`).
public protocol JobChangeSource: Sendable {
    /// Delivers changes, in the order published, until the task is cancelled — those
    /// that `wants` accepts (job, owner). `subscribed` is called each time the
    /// subscription is (re)established: changes published while it was down were
    /// missed, and readers should re-read the store. Returns when cancelled; survives
    /// outages of its transport by reconnecting. A delivered change may lack its `job`.
    func run(
        subscribed: @escaping @Sendable () -> Void, wants: @escaping @Sendable (JobID, UserID) -> Bool,
        deliver: @escaping @Sendable (JobChange) -> Void) async
}
