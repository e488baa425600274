public import Domain
import Foundation
public import Ports

/// Deletes what is older than the retention period: final jobs and their output,
/// sessions that ended, published outbox messages and finished mail; and audit entries older than
/// their own retention period (usually longer: an audit trail is kept for its auditors).
/// A job's artifacts go before the job: its objects are deleted first, and a job whose
/// objects could not be (the store is down) stays until a later round. Uploaded files go
/// once they are older than the retention period and no job that has not ended names them.
public struct PurgeExpired: Sendable {
    let jobs: any JobRepository
    let sessions: any SessionStore
    let outbox: any Outbox
    let audit: any AuditTrail
    let mfa: any MFAStore
    let mail: (any MailQueue)?
    let clock: any WallClock
    let retentionDays: Int
    let auditRetentionDays: Int
    let objects: (any ObjectStore)?

    public init(
        jobs: any JobRepository, sessions: any SessionStore, outbox: any Outbox, audit: any AuditTrail,
        mfa: any MFAStore, mail: (any MailQueue)? = nil, clock: any WallClock, retentionDays: Int,
        auditRetentionDays: Int, objects: (any ObjectStore)? = nil
    ) {
        self.objects = objects
        self.mail = mail
        self.mfa = mfa
        self.jobs = jobs
        self.sessions = sessions
        self.outbox = outbox
        self.audit = audit
        self.clock = clock
        self.retentionDays = retentionDays
        self.auditRetentionDays = auditRetentionDays
    }

    public struct Purged: Hashable, Sendable {
        public let jobs: Int
        public let sessions: Int
        public let outboxMessages: Int
        public let auditEntries: Int
        /// Expired two-factor challenges and spent recovery codes (the audit trail keeps their use).
        public let mfaLeftovers: Int
        /// Mail sent, dropped or dead-lettered before the cutoff.
        public let mail: Int
        /// Uploaded files (`POST /files`) older than the cutoff that no unfinished job names.
        public let uploads: Int
    }

    @discardableResult
    public func callAsFunction() async throws -> Purged {
        let now = clock.now()
        let cutoff = now.addingTimeInterval(-Double(retentionDays) * 86_400)
        return Purged(
            jobs: try await jobs.purgeFinished(before: cutoff, cleared: try await clearArtifacts(before: cutoff)),
            sessions: try await sessions.purge(endedBefore: cutoff),
            outboxMessages: try await outbox.purgePublished(before: cutoff),
            auditEntries: try await audit.purge(before: now.addingTimeInterval(-Double(auditRetentionDays) * 86_400)),
            mfaLeftovers: try await mfa.purge(before: now),
            mail: try await mail?.purgeFinished(before: cutoff) ?? 0,
            uploads: try await clearUploads(before: cutoff))
    }

    /// Deletes the uploaded files written before `cutoff` that no job still to run or
    /// running names (a final job does not hold one: it will not fetch it again). A store
    /// that cannot be listed or cannot delete now leaves the rest for a later round.
    private func clearUploads(before cutoff: Date) async throws -> Int {
        guard let objects else { return 0 }
        let old: [(key: String, file: UUID)]
        do {
            old = try await objects.list(prefix: InputRules.uploadsPrefix).filter { $0.modified < cutoff }
                .compactMap { summary in InputRules.file(inKey: summary.key).map { (summary.key, $0) } }
        } catch is ObjectStoreError {
            return 0
        }
        var deleted = 0
        for start in stride(from: 0, to: old.count, by: 500) {
            let batch = old[start..<min(old.count, start + 500)]
            let used = try await jobs.filesInUse(among: batch.map(\.file))
            let keys = batch.filter { !used.contains($0.file) }.map(\.key)
            do {
                if !keys.isEmpty { try await objects.delete(keys) }
            } catch is ObjectStoreError {
                break
            }
            deleted += keys.count
        }
        return deleted
    }

    /// Deletes the objects of up to 500 expired jobs; the ones now free of objects. Without
    /// a store (it was configured once and is not now) there is nothing this process can
    /// delete, and the jobs go.
    private func clearArtifacts(before cutoff: Date) async throws -> Set<JobID> {
        let candidates = try await jobs.finishedWithArtifacts(before: cutoff, limit: 500)
        guard let objects else { return Set(candidates) }
        var cleared: Set<JobID> = []
        for id in candidates {
            do {
                let keys = try await objects.list(prefix: ArtifactRules.jobPrefix(id)).map(\.key)
                if !keys.isEmpty { try await objects.delete(keys) }
                cleared.insert(id)
            } catch {
                continue  // kept, with its record, for the next round
            }
        }
        return cleared
    }
}
