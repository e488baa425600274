public import Domain
public import Foundation

/// A fast, shared list of revoked sessions and token ids, consulted on every
/// authenticated request. Entries live until the tokens they cover have expired.
/// When it is unavailable, callers fall back to the `SessionStore` (never fail open).
public protocol TokenDenylist: Sendable {
    func revoke(session: SessionID, until: Date) async throws
    func revoke(tokenID: UUID, until: Date) async throws
    /// Whether the token id or its session was revoked.
    func isRevoked(tokenID: UUID, session: SessionID) async throws -> Bool
}
