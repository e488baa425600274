public import Domain
import Foundation
public import Ports

/// What register, login and refresh hand back to the client.
public struct IssuedTokens: Sendable {
    public let accessToken: String
    public let refreshToken: String
    public let expiresIn: Int
    public let user: User
}

/// Issues the token pair for a session: shared by register, login and refresh so the
/// three cannot drift apart.
public struct SessionTokens: Sendable {
    let sessions: any SessionStore
    let issuer: any AccessTokenIssuer
    let minter: any RefreshTokenMinter
    let clock: any WallClock
    let ids: any IDGenerator
    let settings: AuthSettings

    public init(
        sessions: any SessionStore, issuer: any AccessTokenIssuer, minter: any RefreshTokenMinter,
        clock: any WallClock, ids: any IDGenerator, settings: AuthSettings
    ) {
        self.sessions = sessions
        self.issuer = issuer
        self.minter = minter
        self.clock = clock
        self.ids = ids
        self.settings = settings
    }

    /// Starts a new session for `user`; `context` set means a login, audited with the session.
    func startSession(for user: User, loginFrom context: AuditContext?, factor: String? = nil) async throws
        -> IssuedTokens
    {
        let now = clock.now()
        let session = Session(
            id: SessionID(ids.next()), userID: user.id, createdAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(settings.refreshTokenTTLSeconds)))
        let refresh = minter.mint()
        let audit = context.map { context in
            AuditRecord(
                at: now, action: .loginSucceeded, actor: user.id, account: user.id, subject: "session:\(session.id)",
                context: context, details: factor.map { ["second_factor": $0] } ?? [:])
        }
        try await sessions.create(session, token: refresh.hash, audit: audit)
        return try tokens(for: user, session: session.id, refreshToken: refresh.token, now: now)
    }

    /// A new access token for an existing session, paired with its new refresh token.
    func tokens(for user: User, session: SessionID, refreshToken: String, now: Date) throws -> IssuedTokens {
        let claims = AccessClaims(
            userID: user.id, role: user.role, sessionID: session, tokenID: ids.next(), issuedAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(settings.accessTokenTTLSeconds)))
        return IssuedTokens(
            accessToken: try issuer.issue(claims), refreshToken: refreshToken,
            expiresIn: settings.accessTokenTTLSeconds, user: user)
    }
}
