public import Domain
public import Foundation
public import Ports

/// A job store that tells live views about every change it commits: creations, and
/// whatever an `update` changed (a job's version, or its output). Every writer — the
/// API, the results processor, the scheduler — goes through it, so no path can forget
/// to announce (nor to queue the mail of a job that asked for a notice when it ends).
/// The announcement follows the commit; if it is lost, views still catch
/// up from the store at their next periodic re-read.
public struct AnnouncingJobStore: JobRepository, Outbox, JobStatistics {
    let store: any JobRepository & Outbox & JobStatistics
    let publisher: any JobChangePublisher

    public init(_ store: any JobRepository & Outbox & JobStatistics, publisher: any JobChangePublisher) {
        self.store = store
        self.publisher = publisher
    }

    public func create(_ job: Job, dispatch: OutboxMessage?, unfinishedLimit: Int) async throws -> JobCreation {
        let creation = try await store.create(job, dispatch: dispatch, unfinishedLimit: unfinishedLimit)
        if case .created(let job) = creation {
            await publisher.publish([JobChange(job: job, jobChanged: true, outputChanged: false)])
        }
        return creation
    }

    public func update<Result: Sendable>(
        _ ids: Set<JobID>, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result {
        let (result, changes) = try await store.update(ids) { set in try Self.observing(&set, body) }
        if !changes.isEmpty { await publisher.publish(changes) }
        return result
    }

    public func updateDue<Result: Sendable>(
        now: Date, limit: Int, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result {
        let (result, changes) = try await store.updateDue(now: now, limit: limit) { set in try Self.observing(&set, body) }
        if !changes.isEmpty { await publisher.publish(changes) }
        return result
    }

    /// Runs `body` and notes what it changed.
    private static func observing<Result>(
        _ set: inout JobChangeSet, _ body: (inout JobChangeSet) throws -> Result
    ) rethrows -> (Result, [JobChange]) {
        let versions = set.jobs.mapValues(\.version)
        let wasFinal = set.jobs.mapValues(\.status.isFinal)
        let result = try body(&set)
        // A job that asked for a notice and has just ended: the mail is queued with the
        // change, whichever writer ended it. Its id is the job's: a job ends once.
        for job in set.jobs.values where job.notify && job.status.isFinal && wasFinal[job.id] == false {
            set.mail.append(
                MailDraft(
                    id: job.id.uuid, kind: .jobFinished, accountID: job.ownerID, jobID: job.id,
                    createdAt: job.finishedAt ?? job.updatedAt))
        }
        var outputs = Set(set.outputResets)
        for (id, _) in set.outputAppends { outputs.insert(id) }
        let changes = set.jobs.values.compactMap { job -> JobChange? in
            let jobChanged = versions[job.id] != job.version
            let outputChanged = outputs.contains(job.id)
            return jobChanged || outputChanged ? JobChange(job: job, jobChanged: jobChanged, outputChanged: outputChanged) : nil
        }
        return (result, changes)
    }

    public func job(id: JobID) async throws -> Job? { try await store.job(id: id) }
    public func job(owner: UserID, idempotencyKey: String) async throws -> Job? {
        try await store.job(owner: owner, idempotencyKey: idempotencyKey)
    }
    public func list(_ query: JobQuery) async throws -> [Job] { try await store.list(query) }
    public func output(of id: JobID) async throws -> JobOutput? { try await store.output(of: id) }
    public func artifacts(of id: JobID) async throws -> [JobArtifact] { try await store.artifacts(of: id) }
    public func snapshot(of id: JobID) async throws -> JobSnapshot? { try await store.snapshot(of: id) }
    public func purgeFinished(before cutoff: Date, cleared: Set<JobID>) async throws -> Int {
        try await store.purgeFinished(before: cutoff, cleared: cleared)
    }
    public func finishedWithArtifacts(before cutoff: Date, limit: Int) async throws -> [JobID] {
        try await store.finishedWithArtifacts(before: cutoff, limit: limit)
    }
    public func filesInUse(among files: [UUID]) async throws -> Set<UUID> { try await store.filesInUse(among: files) }

    public func relay(limit: Int, _ publish: @Sendable ([OutboxMessage]) async throws -> Void) async throws -> Int {
        try await store.relay(limit: limit, publish)
    }
    public func backlog(now: Date) async throws -> (count: Int, oldestAgeSeconds: Double) { try await store.backlog(now: now) }
    public func purgePublished(before cutoff: Date) async throws -> Int { try await store.purgePublished(before: cutoff) }

    public func countsByStatus() async throws -> [JobStatus: Int] { try await store.countsByStatus() }
    public func finishedPerMinute(since: Date) async throws -> [FinishedPerMinute] {
        try await store.finishedPerMinute(since: since)
    }
}
