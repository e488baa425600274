import Domain
import Foundation
import Ports

/// Ends sessions: in the session store (the record PostgreSQL can answer from) and
/// in the denylist (the fast path every request checks). The denylist entry lives as
/// long as any access token of the session can, i.e. one access-token lifetime.
struct SessionRevoker: Sendable {
    let sessions: any SessionStore
    let denylist: any TokenDenylist
    let accessTokenTTLSeconds: Int

    func revoke(_ id: SessionID, reason: RevocationReason, now: Date, audit: AuditRecord? = nil) async throws {
        _ = try await sessions.revoke(id, reason: reason, at: now, audit: audit)
        await denylist(id, now: now)
    }

    func revokeAll(
        of user: UserID, except: SessionID?, reason: RevocationReason, now: Date, audit: AuditRecord? = nil
    ) async throws {
        let revoked = try await sessions.revokeAll(of: user, except: except, reason: reason, at: now, audit: audit)
        for session in revoked { await denylist(session.id, now: now) }
    }

    func denylist(_ id: SessionID, now: Date) async {
        // The session store already says "revoked"; a denylist that missed this is
        // reconciled from it (see AuthenticateAccessToken), so a failure is not fatal.
        try? await denylist.revoke(session: id, until: now.addingTimeInterval(TimeInterval(accessTokenTTLSeconds)))
    }
}
