public import Domain
import Foundation
public import Ports

/// Ends the caller's session (and the session of a refresh token the caller also
/// holds), or every session of the caller.
public struct Logout: Sendable {
    let sessions: any SessionStore
    let minter: any RefreshTokenMinter
    let denylist: any TokenDenylist
    let revoker: SessionRevoker
    let clock: any WallClock

    public init(
        sessions: any SessionStore, denylist: any TokenDenylist, minter: any RefreshTokenMinter,
        clock: any WallClock, settings: AuthSettings
    ) {
        self.sessions = sessions
        self.minter = minter
        self.denylist = denylist
        self.revoker = SessionRevoker(
            sessions: sessions, denylist: denylist, accessTokenTTLSeconds: settings.accessTokenTTLSeconds)
        self.clock = clock
    }

    public func callAsFunction(caller: AccessClaims, refreshToken: String?, all: Bool, context: AuditContext = .none)
        async throws
    {
        let now = clock.now()
        func record(_ action: AuditAction, _ session: SessionID?) -> AuditRecord {
            AuditRecord(
                at: now, action: action, actor: caller.userID, account: caller.userID,
                subject: session.map { "session:\($0)" }, context: context)
        }
        if all {
            try await revoker.revokeAll(
                of: caller.userID, except: nil, reason: .logout, now: now, audit: record(.logoutAll, nil))
        } else {
            try await revoker.revoke(caller.sessionID, reason: .logout, now: now, audit: record(.logout, caller.sessionID))
            // Another session's refresh token is revoked only if it is the caller's own:
            // a stolen access token must not let anyone end a stranger's session.
            if let refreshToken, let hash = minter.hash(refreshToken),
                let other = try await sessions.session(token: hash), other.userID == caller.userID,
                other.id != caller.sessionID
            {
                try await revoker.revoke(other.id, reason: .logout, now: now, audit: record(.logout, other.id))
            }
        }
        try? await denylist.revoke(tokenID: caller.tokenID, until: caller.expiresAt)
    }
}
