import Application
public import Domain
public import Foundation
public import Ports
import Synchronization

/// Jobs, their output and the outbox in memory: one store, because a job and its
/// outbox message are written in one transaction. Every method is atomic under a
/// `Mutex`, mirroring the real store's transactions and row locks.
public final class InMemoryJobStore: JobRepository, Outbox, JobStatistics {
    private struct OutboxRecord {
        let sequence: Int
        let message: OutboxMessage
        let createdAt: Date
        var claimed = false
        var publishedAt: Date?
    }

    private struct State {
        var jobs: [JobID: Job] = [:]
        var outputs: [JobID: JobOutput] = [:]
        var artifacts: [JobID: [JobArtifact]] = [:]
        var outbox: [OutboxRecord] = []
        var nextSequence = 1
    }

    private let state = Mutex(State())
    private let outputLimitBytes: Int
    private let clock: any WallClock
    private let audit: InMemoryAuditTrail
    private let mail: InMemoryMailQueue

    public init(
        outputLimitBytes: Int = 1_048_576, clock: any WallClock = SystemClock(),
        audit: InMemoryAuditTrail = InMemoryAuditTrail(), mail: InMemoryMailQueue = InMemoryMailQueue()
    ) {
        self.mail = mail
        self.outputLimitBytes = outputLimitBytes
        self.clock = clock
        self.audit = audit
    }

    public func create(_ job: Job, dispatch: OutboxMessage?, unfinishedLimit: Int) async throws -> JobCreation {
        let now = clock.now()
        return try state.withLock { state in
            if state.jobs[job.id] != nil { throw PortError.duplicate }
            let owned = state.jobs.values.filter { $0.ownerID == job.ownerID }
            var rules = JobCreationRules(
                earlier: owned.filter { $0.idempotencyKey == job.idempotencyKey },
                unfinished: [job.ownerID: owned.count { !$0.status.isFinal }])
            let outcome = rules.decide(job, unfinishedLimit: unfinishedLimit)
            guard case .created = outcome else { return outcome }
            state.jobs[job.id] = job
            state.outputs[job.id] = JobOutput()
            if let dispatch { Self.enqueue(dispatch, now: now, in: &state) }
            return .created(job)
        }
    }

    public func job(id: JobID) async throws -> Job? { state.withLock { $0.jobs[id] } }

    public func job(owner: UserID, idempotencyKey: String) async throws -> Job? {
        state.withLock { $0.jobs.values.first { $0.ownerID == owner && $0.idempotencyKey == idempotencyKey } }
    }

    public func list(_ query: JobQuery) async throws -> [Job] {
        state.withLock { state in
            let matching = state.jobs.values.filter { job in
                (query.owner.map { job.ownerID == $0 } ?? true)
                    && (query.status.map { job.status == $0 } ?? true)
                    && (query.after.map { Self.sortsAfter(job, $0) } ?? true)
            }
            return Array(matching.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(query.limit))
        }
    }

    /// Whether `job` comes after `cursor` in newest-first order.
    private static func sortsAfter(_ job: Job, _ cursor: JobCursor) -> Bool {
        job.createdAt < cursor.createdAt || (job.createdAt == cursor.createdAt && job.id < cursor.id)
    }

    public func output(of id: JobID) async throws -> JobOutput? { state.withLock { $0.outputs[id] } }

    public func artifacts(of id: JobID) async throws -> [JobArtifact] { state.withLock { $0.artifacts[id] ?? [] } }

    public func snapshot(of id: JobID) async throws -> JobSnapshot? {
        state.withLock { state in
            state.jobs[id].map { JobSnapshot(job: $0, output: state.outputs[id] ?? JobOutput()) }
        }
    }

    public func countsByStatus() async throws -> [JobStatus: Int] {
        state.withLock { state in state.jobs.values.reduce(into: [:]) { $0[$1.status, default: 0] += 1 } }
    }

    public func finishedPerMinute(since: Date) async throws -> [FinishedPerMinute] {
        let counts = state.withLock { state in
            state.jobs.values.reduce(into: [MinuteAndStatus: Int]()) { counts, job in
                guard job.status.isFinal, let finished = job.finishedAt, finished >= since else { return }
                let minute = Date(timeIntervalSince1970: (finished.timeIntervalSince1970 / 60).rounded(.down) * 60)
                counts[MinuteAndStatus(minute: minute, status: job.status), default: 0] += 1
            }
        }
        return counts.map { FinishedPerMinute(minute: $0.key.minute, status: $0.key.status, count: $0.value) }
            .sorted { ($0.minute, $0.status.rawValue) < ($1.minute, $1.status.rawValue) }
    }

    private struct MinuteAndStatus: Hashable {
        let minute: Date
        let status: JobStatus
    }

    public func update<Result: Sendable>(
        _ ids: Set<JobID>, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result {
        let now = clock.now()
        return try state.withLock { state in
            try Self.apply(ids: ids, body, limit: outputLimitBytes, now: now, audit: audit, mail: mail, to: &state)
        }
    }

    public func updateDue<Result: Sendable>(
        now: Date, limit: Int, _ body: @Sendable (inout JobChangeSet) throws -> Result
    ) async throws -> Result {
        let wallClock = clock.now()
        return try state.withLock { state in
            let due = state.jobs.values.filter { $0.status == .scheduled && $0.runAt <= now }
                .sorted { $0.runAt < $1.runAt }.prefix(limit).map(\.id)
            return try Self.apply(
                ids: Set(due), body, limit: outputLimitBytes, now: wallClock, audit: audit, mail: mail, to: &state)
        }
    }

    /// PostgreSQL's `text` refuses NUL: so does this store, with the same error, so that
    /// what passes here passes there (the contract suite holds both to it).
    private static func refuseWhatPostgresRefuses(_ changes: JobChangeSet) throws {
        let texts =
            changes.outputAppends.flatMap { [$0.1.stdout, $0.1.stderr] }
            + changes.jobs.values.flatMap { [$0.workerID ?? "", $0.failure?.message ?? ""] }
        if texts.contains(where: { !OutputText.isClean($0) }) { throw PortError.rejected }
    }

    private static func apply<Result>(
        ids: Set<JobID>, _ body: (inout JobChangeSet) throws -> Result, limit: Int, now: Date,
        audit: InMemoryAuditTrail, mail: InMemoryMailQueue, to state: inout State
    ) throws -> Result {
        var changes = JobChangeSet(jobs: state.jobs.filter { ids.contains($0.key) })
        let result = try body(&changes)
        try refuseWhatPostgresRefuses(changes)
        // Only after the body succeeded: a throw leaves everything as it was.
        for (id, job) in changes.jobs where ids.contains(id) && state.jobs[id] != nil { state.jobs[id] = job }
        for id in changes.outputResets where state.jobs[id] != nil { state.outputs[id] = JobOutput() }
        for (id, chunk) in changes.outputAppends where state.jobs[id] != nil {
            state.outputs[id, default: JobOutput()].append(chunk, limit: limit)
        }
        for (id, list) in changes.artifacts where state.jobs[id] != nil { state.artifacts[id] = list }
        for message in changes.outbox { enqueue(message, now: now, in: &state) }
        audit.write(changes.audit)
        mail.enqueue(changes.mail)
        return result
    }

    public func finishedWithArtifacts(before cutoff: Date, limit: Int) async throws -> [JobID] {
        state.withLock { state in
            state.jobs.values.filter { $0.status.isFinal && ($0.finishedAt ?? $0.updatedAt) < cutoff && !$0.artifacts.isEmpty }
                .sorted { ($0.finishedAt ?? $0.updatedAt) < ($1.finishedAt ?? $1.updatedAt) }.prefix(limit).map(\.id)
        }
    }

    public func filesInUse(among files: [UUID]) async throws -> Set<UUID> {
        let wanted = Set(files)
        return state.withLock { state in
            Set(state.jobs.values.filter { !$0.status.isFinal }.flatMap { $0.inputs.map(\.file) }.filter(wanted.contains))
        }
    }

    public func purgeFinished(before cutoff: Date, cleared: Set<JobID>) async throws -> Int {
        state.withLock { state in
            let old = state.jobs.values.filter {
                $0.status.isFinal && ($0.finishedAt ?? $0.updatedAt) < cutoff && ($0.artifacts.isEmpty || cleared.contains($0.id))
            }.map(\.id)
            for id in old {
                state.jobs[id] = nil
                state.outputs[id] = nil
                state.artifacts[id] = nil
            }
            return old.count
        }
    }

    // MARK: Outbox

    private static func enqueue(_ message: OutboxMessage, now: Date, in state: inout State) {
        state.outbox.append(OutboxRecord(sequence: state.nextSequence, message: message, createdAt: now))
        state.nextSequence += 1
    }

    public func relay(limit: Int, _ publish: @Sendable ([OutboxMessage]) async throws -> Void) async throws -> Int {
        let claimed: [(Int, OutboxMessage)] = state.withLock { state in
            var claimed: [(Int, OutboxMessage)] = []
            for index in state.outbox.indices where claimed.count < limit {
                guard !state.outbox[index].claimed, state.outbox[index].publishedAt == nil else { continue }
                state.outbox[index].claimed = true
                claimed.append((state.outbox[index].sequence, state.outbox[index].message))
            }
            return claimed
        }
        guard !claimed.isEmpty else { return 0 }
        let sequences = Set(claimed.map(\.0))
        do {
            try await publish(claimed.map(\.1))
        } catch {
            state.withLock { state in
                for index in state.outbox.indices where sequences.contains(state.outbox[index].sequence) {
                    state.outbox[index].claimed = false
                }
            }
            throw error
        }
        let now = clock.now()
        state.withLock { state in
            for index in state.outbox.indices where sequences.contains(state.outbox[index].sequence) {
                state.outbox[index].publishedAt = now
            }
        }
        return claimed.count
    }

    public func backlog(now: Date) async throws -> (count: Int, oldestAgeSeconds: Double) {
        state.withLock { state in
            let waiting = state.outbox.filter { $0.publishedAt == nil }
            let oldest = waiting.map(\.createdAt).min()
            return (waiting.count, oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
    }

    public func purgePublished(before cutoff: Date) async throws -> Int {
        state.withLock { state in
            let before = state.outbox.count
            state.outbox.removeAll { ($0.publishedAt.map { $0 < cutoff }) ?? false }
            return before - state.outbox.count
        }
    }
}
