public import Domain
public import Foundation

/// A refresh token as it is stored: only a keyed hash, never the token itself.
public struct RefreshTokenHash: Hashable, Sendable {
    public let value: String
    public init(_ value: String) { self.value = value }
}

/// What presenting a refresh token led to.
public enum RefreshRotation: Hashable, Sendable {
    /// The token was current: it is spent now and `next` replaced it.
    case rotated(Session)
    /// The token had been spent before: the whole session is revoked now (theft suspected).
    case reused(Session)
    /// The session had been revoked, or the token expired: nothing changed.
    case rejected
    /// No such token.
    case unknown
}

/// Refresh-token families (sessions). Rotation must be atomic: two requests racing
/// with the same token yield at most one `.rotated`; the other sees `.reused`.
public protocol SessionStore: Sendable {
    /// Starts a session whose first refresh token has hash `token`, valid until
    /// `session.expiresAt`, with `audit` (the login) in the same transaction.
    func create(_ session: Session, token: RefreshTokenHash, audit: AuditRecord?) async throws
    /// Spends `presented` and makes `next` the session's current token, valid until
    /// `expiresAt`. A reuse is audited (`session.refresh_token_reused`, with `context`) in
    /// the transaction that revokes the session.
    func rotate(presented: RefreshTokenHash, next: RefreshTokenHash, expiresAt: Date, now: Date, context: AuditContext)
        async throws -> RefreshRotation
    func session(id: SessionID) async throws -> Session?
    /// The session a (spent or current) refresh token belongs to.
    func session(token: RefreshTokenHash) async throws -> Session?
    /// Revokes one session; returns it if it existed and was not revoked already, and then
    /// writes `audit` in the same transaction.
    func revoke(_ id: SessionID, reason: RevocationReason, at now: Date, audit: AuditRecord?) async throws -> Session?
    /// Revokes every live session of a user but `except`; returns the sessions revoked.
    /// `audit` is written in the same transaction, whether or not any session was live.
    func revokeAll(of user: UserID, except: SessionID?, reason: RevocationReason, at now: Date, audit: AuditRecord?)
        async throws -> [Session]
    /// Sessions revoked at or after `since` whose tokens may still be alive: what a
    /// denylist that missed revocations (its server was down) is refilled from.
    func revoked(since: Date) async throws -> [Session]
    /// Deletes sessions (and their tokens) that expired or were revoked before `cutoff`.
    func purge(endedBefore cutoff: Date) async throws -> Int
}
