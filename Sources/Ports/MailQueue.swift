public import Domain
public import Foundation

/// Which message a queued mail becomes; the templates are chosen by it.
public enum MailKind: String, Hashable, Sendable, CaseIterable {
    /// Welcome, with the link that confirms the address.
    case welcome
    /// The link that sets a new password (30 minutes, once).
    case passwordReset = "password_reset"
    case passwordChanged = "password_changed"
    case mfaChanged = "mfa_changed"
    /// A login from an address this account had not used.
    case newLoginAddress = "new_login_address"
    /// A job that asked for it (`notify`) has ended.
    case jobFinished = "job_finished"
}

/// A mail to queue: what to say and to whom, never the message itself. Links are signed
/// when the message is made, just before it is sent, so the queue holds no secret.
public struct MailDraft: Hashable, Sendable {
    public let id: UUID
    public let kind: MailKind
    public let accountID: UserID
    public let jobID: JobID?
    /// The audit entry that called for it (planning the same entry twice queues it once).
    public let auditSequence: Int64?
    /// A few bounded strings the message shows (a client address, a time).
    public let details: [String: String]
    public let createdAt: Date
    /// Not worth sending after this (the link in it has expired).
    public let notAfter: Date?

    public init(
        id: UUID, kind: MailKind, accountID: UserID, jobID: JobID? = nil, auditSequence: Int64? = nil,
        details: [String: String] = [:], createdAt: Date, notAfter: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.accountID = accountID
        self.jobID = jobID
        self.auditSequence = auditSequence
        self.details = details
        self.createdAt = createdAt
        self.notAfter = notAfter
    }
}

/// A queued mail a sender has claimed, with the attempts made before this one.
public struct QueuedMail: Hashable, Sendable {
    public let draft: MailDraft
    public let attempts: Int

    public init(draft: MailDraft, attempts: Int) {
        self.draft = draft
        self.attempts = attempts
    }
}

/// What became of one attempt.
public enum MailAttemptOutcome: Hashable, Sendable {
    case sent
    /// Failed for now: try again at this time.
    case retry(at: Date, error: String)
    /// Given up (a permanent refusal, or the last attempt): the dead letter keeps the error.
    case dead(error: String)
    /// Not worth sending any more (its link expired, its account is gone).
    case dropped(reason: String)
}

/// How much mail waits, and how much has been given up on.
public struct MailBacklog: Hashable, Sendable {
    public let pending: Int
    public let dead: Int
    public let oldestPendingAgeSeconds: Double

    public init(pending: Int, dead: Int, oldestPendingAgeSeconds: Double) {
        self.pending = pending
        self.dead = dead
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
    }
}

/// Mail waiting to be sent. Account mail is planned from the audit trail (every audited
/// change was written with its entry, so reading the chain in order misses none); job
/// notices arrive with the job change that ends the job (`JobChangeSet.mail`).
public protocol MailQueue: Sendable {
    /// One planning step, serialised across processes: `step` gets the last audit
    /// sequence planned and returns the drafts for the entries after it and the sequence
    /// it read through; both are stored together (or neither, if it throws).
    func plan(_ step: @escaping @Sendable (_ after: Int64) async throws -> (drafts: [MailDraft], through: Int64)) async throws
        -> Int
    /// Up to `limit` pending mails due at `now`, oldest first, each hidden from other
    /// senders for `leaseSeconds` (a sender that dies leaves them to the next).
    func claim(now: Date, limit: Int, leaseSeconds: Int) async throws -> [QueuedMail]
    /// Records an attempt's outcome (the attempt is counted).
    func finish(_ id: UUID, _ outcome: MailAttemptOutcome, at now: Date) async throws
    func backlog(now: Date) async throws -> MailBacklog
    /// Forgets sent, dropped and dead mail finished before `cutoff`.
    func purgeFinished(before cutoff: Date) async throws -> Int
}
