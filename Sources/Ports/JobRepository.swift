public import Domain
public import Foundation

/// Which jobs to list: one owner's (or everyone's), optionally one status, newest first.
public struct JobQuery: Hashable, Sendable {
    public let owner: UserID?
    public let status: JobStatus?
    public let limit: Int
    /// Continue strictly after this position (exclusive).
    public let after: JobCursor?

    public init(owner: UserID?, status: JobStatus?, limit: Int, after: JobCursor?) {
        self.owner = owner
        self.status = status
        self.limit = limit
        self.after = after
    }
}

/// A position in the newest-first order: (created_at, id), both descending. Jobs made
/// after a page was read sort before it, so paging never skips or repeats one.
public struct JobCursor: Hashable, Sendable {
    public let createdAt: Date
    public let id: JobID
    public init(createdAt: Date, id: JobID) {
        self.createdAt = createdAt
        self.id = id
    }
}

/// What a create led to.
public enum JobCreation: Hashable, Sendable {
    case created(Job)
    /// The owner already used this idempotency key; here is that job.
    case existing(Job)
    /// The owner has `limit` unfinished jobs already.
    case tooManyUnfinished(limit: Int)
}

/// Jobs loaded and locked for one transaction. Change `jobs` through the domain's
/// transitions; record output and outbox messages alongside. The repository writes
/// whatever changed, all or nothing.
public struct JobChangeSet: Sendable {
    public var jobs: [JobID: Job]
    /// Output to add to each job's stored output, in order.
    public var outputAppends: [(JobID, OutputChunk)] = []
    /// Jobs whose stored output starts over (a new delivery began); applied before appends
    /// recorded after it.
    public var outputResets: [JobID] = []
    /// Messages to publish once the transaction commits (through the outbox).
    public var outbox: [OutboxMessage] = []
    /// Audit entries for the change (an admin stopping another user's job), written with it.
    public var audit: [AuditRecord] = []
    /// Mail the change calls for (a job that asked for a notice has ended), queued with it.
    public var mail: [MailDraft] = []
    /// The artifacts of a job's latest finished run: they replace whatever it had.
    public var artifacts: [JobID: [JobArtifact]] = [:]

    public init(jobs: [JobID: Job]) { self.jobs = jobs }

    /// Records an output change in the order it happened.
    public mutating func recordOutput(for id: JobID, reset: Bool, append chunk: OutputChunk?) {
        if reset {
            outputAppends.removeAll { $0.0 == id }
            outputResets.append(id)
        }
        if let chunk { outputAppends.append((id, chunk)) }
    }
}

/// A job and its stored output, read together.
public struct JobSnapshot: Hashable, Sendable {
    public let job: Job
    public let output: JobOutput

    public init(job: Job, output: JobOutput) {
        self.job = job
        self.output = output
    }
}

/// Stores jobs and their output. Every change runs through `update`, inside one
/// transaction with the rows locked, so concurrent consumers cannot regress a status.
public protocol JobRepository: Sendable {
    /// Inserts `job` (and, when it is queued, its dispatch into the outbox) in one
    /// transaction. When the job carries an idempotency key the owner used before, the
    /// earlier job is returned instead; when the owner has `unfinishedLimit` unfinished
    /// jobs, nothing is inserted.
    func create(_ job: Job, dispatch: OutboxMessage?, unfinishedLimit: Int) async throws -> JobCreation
    func job(id: JobID) async throws -> Job?
    /// The owner's job made with this idempotency key, if any.
    func job(owner: UserID, idempotencyKey: String) async throws -> Job?
    /// At most `query.limit` jobs, newest first.
    func list(_ query: JobQuery) async throws -> [Job]
    func output(of id: JobID) async throws -> JobOutput?
    /// The artifacts of the job's latest finished run, in the order it declared them.
    func artifacts(of id: JobID) async throws -> [JobArtifact]
    /// The job and its output as one consistent reading (both from the same commit):
    /// what a live view compares with what its client has seen.
    func snapshot(of id: JobID) async throws -> JobSnapshot?
    /// Loads and locks the given jobs (absent ones are left out), runs `body` on them,
    /// and writes every change it made, all in one transaction; rolls back if it throws.
    func update<Result: Sendable>(
        _ ids: Set<JobID>, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result
    /// Claims up to `limit` scheduled jobs whose `run_at` has come (skipping rows another
    /// transaction holds) and runs `body` on them like `update`.
    func updateDue<Result: Sendable>(
        now: Date, limit: Int, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result
    /// Deletes final jobs, and their output, that finished before `cutoff`.
    /// Deletes final jobs that finished before `cutoff`, with their output and artifact
    /// records; a job that declared artifacts only when it is in `cleared` (its objects
    /// are gone), so that no object outlives the only record of its key.
    func purgeFinished(before cutoff: Date, cleared: Set<JobID>) async throws -> Int
    /// Final jobs that finished before `cutoff` and declared artifacts, oldest first.
    func finishedWithArtifacts(before cutoff: Date, limit: Int) async throws -> [JobID]
    /// Which of `files` (uploaded files' ids) a job that has not ended names as an input:
    /// the uploads retention must keep.
    func filesInUse(among files: [UUID]) async throws -> Set<UUID>
}

extension JobRepository {
    /// `purgeFinished(before:cleared:)` for jobs without artifacts only.
    public func purgeFinished(before cutoff: Date) async throws -> Int {
        try await purgeFinished(before: cutoff, cleared: [])
    }
}
