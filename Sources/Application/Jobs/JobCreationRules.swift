public import Domain
public import Ports

/// The create rules, decided once for every store: an Idempotency-Key the owner used
/// before answers that earlier job; an owner with `unfinishedLimit` unfinished jobs
/// gets `tooManyUnfinished`; otherwise the job is created. A store gathers what the
/// rules read (the owners' jobs with those keys, their unfinished counts) inside its
/// locked unit of work, asks `decide` for each create in arrival order, and writes what
/// was created. Over a batch the rules see the creates accepted earlier in it.
public struct JobCreationRules: Sendable {
    private struct KeySlot: Hashable {
        let owner: UserID
        let key: String
    }

    private var keyed: [KeySlot: Job] = [:]
    private var unfinished: [UserID: Int]

    /// `earlier`: the owners' stored jobs that carry one of the keys being created
    /// (others are ignored); `unfinished`: each owner's count of unfinished jobs.
    public init(earlier: some Sequence<Job>, unfinished: [UserID: Int]) {
        self.unfinished = unfinished
        for job in earlier {
            if let key = job.idempotencyKey { keyed[KeySlot(owner: job.ownerID, key: key)] = job }
        }
    }

    /// What creating `job` leads to, given everything decided before it.
    public mutating func decide(_ job: Job, unfinishedLimit: Int) -> JobCreation {
        let slot = job.idempotencyKey.map { KeySlot(owner: job.ownerID, key: $0) }
        if let slot, let existing = keyed[slot] { return .existing(existing) }
        let count = unfinished[job.ownerID, default: 0]
        if count >= unfinishedLimit { return .tooManyUnfinished(limit: unfinishedLimit) }
        if let slot { keyed[slot] = job }
        unfinished[job.ownerID] = count + (job.status.isFinal ? 0 : 1)
        return .created(job)
    }
}
