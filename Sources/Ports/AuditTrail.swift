public import Domain
public import Foundation

/// Which entries to read, newest first.
public struct AuditQuery: Hashable, Sendable {
    /// Entries this account did or that concern it (actor or account).
    public var involving: UserID?
    public var actor: UserID?
    public var action: AuditAction?
    public var since: Date?
    public var until: Date?
    /// Only entries older than this sequence number (the keyset cursor).
    public var before: Int64?
    public var limit: Int

    public init(
        involving: UserID? = nil, actor: UserID? = nil, action: AuditAction? = nil, since: Date? = nil,
        until: Date? = nil, before: Int64? = nil, limit: Int = 50
    ) {
        self.involving = involving
        self.actor = actor
        self.action = action
        self.since = since
        self.until = until
        self.before = before
        self.limit = limit
    }
}

/// Where the stored chain starts (after retention removed older entries) and ends.
public struct AuditChainEnds: Hashable, Sendable {
    /// The last entry retention removed (sequence 0 and 32 zero bytes before any).
    public let anchorSequence: Int64
    public let anchorHash: [UInt8]
    /// The last entry appended.
    public let headSequence: Int64
    public let headHash: [UInt8]

    public init(anchorSequence: Int64, anchorHash: [UInt8], headSequence: Int64, headHash: [UInt8]) {
        self.anchorSequence = anchorSequence
        self.anchorHash = anchorHash
        self.headSequence = headSequence
        self.headHash = headHash
    }
}

/// The append-only record of security-relevant actions. Changes that are audited pass
/// their record to the port that makes the change (`UserRepository`, `SessionStore`,
/// `JobRepository`), which writes both in one transaction; `append` is for events that
/// change nothing else (a failed login). Every adapter chains entries by hash in the
/// order they are appended, whichever port wrote them.
public protocol AuditTrail: Sendable {
    func append(_ record: AuditRecord) async throws
    /// Entries matching `query`, newest first, at most `query.limit`.
    func entries(_ query: AuditQuery) async throws -> [AuditEntry]
    /// Entries in chain order after `sequence`, at most `limit`: what verification walks.
    func chain(after sequence: Int64, limit: Int) async throws -> [AuditEntry]
    func ends() async throws -> AuditChainEnds
    /// Removes the entries older than `cutoff` (a prefix of the chain: everything up to
    /// the newest entry before `cutoff`), moving the anchor to the last one removed.
    func purge(before cutoff: Date) async throws -> Int
}
