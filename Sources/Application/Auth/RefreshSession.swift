public import Domain
import Foundation
public import Ports

/// Trades a refresh token for a new pair. Each refresh token works once: presenting a
/// spent one means it was copied, so the whole session is revoked.
public struct RefreshSession: Sendable {
    let sessions: any SessionStore
    let users: any UserRepository
    let minter: any RefreshTokenMinter
    let tokens: SessionTokens
    let revoker: SessionRevoker
    let clock: any WallClock
    let settings: AuthSettings

    public init(
        sessions: any SessionStore, users: any UserRepository, denylist: any TokenDenylist,
        minter: any RefreshTokenMinter, tokens: SessionTokens, clock: any WallClock, settings: AuthSettings
    ) {
        self.sessions = sessions
        self.users = users
        self.minter = minter
        self.tokens = tokens
        self.revoker = SessionRevoker(
            sessions: sessions, denylist: denylist, accessTokenTTLSeconds: settings.accessTokenTTLSeconds)
        self.clock = clock
        self.settings = settings
    }

    public func callAsFunction(refreshToken: String, context: AuditContext = .none) async throws -> IssuedTokens {
        guard let presented = minter.hash(refreshToken) else { throw UseCaseError.unauthenticated }
        let now = clock.now()
        let next = minter.mint()
        let expiresAt = now.addingTimeInterval(Double(settings.refreshTokenTTLSeconds))
        switch try await sessions.rotate(
            presented: presented, next: next.hash, expiresAt: expiresAt, now: now, context: context)
        {
        case .rotated(let session):
            guard let user = try await users.user(id: session.userID) else { throw UseCaseError.unauthenticated }
            return try tokens.tokens(for: user, session: session.id, refreshToken: next.token, now: now)
        case .reused(let session):
            await revoker.denylist(session.id, now: now)
            throw UseCaseError.unauthenticated
        case .rejected, .unknown:
            throw UseCaseError.unauthenticated
        }
    }
}
