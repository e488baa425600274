public import Domain
import Foundation
public import Ports

/// `POST /auth/password-reset/confirm`: sets a new password with the mailed link's token
/// and signs out every session of the account. The token is bound to the password hash
/// it was made for, and the hash is swapped only if it is still that one, so a link
/// works once even when it is used twice at the same moment. Following the link also
/// proves the address, which is confirmed if it was not.
public struct ResetPassword: Sendable {
    let users: any UserRepository
    let hasher: any PasswordHasher
    let links: any LinkTokens
    let revoker: SessionRevoker
    let clock: any WallClock
    let cache: any Cache

    public init(
        users: any UserRepository, sessions: any SessionStore, denylist: any TokenDenylist, hasher: any PasswordHasher,
        links: any LinkTokens, cache: any Cache, clock: any WallClock, settings: AuthSettings
    ) {
        self.cache = cache
        self.users = users
        self.hasher = hasher
        self.links = links
        self.revoker = SessionRevoker(
            sessions: sessions, denylist: denylist, accessTokenTTLSeconds: settings.accessTokenTTLSeconds)
        self.clock = clock
    }

    /// The one answer to a token that is malformed, forged, expired or used.
    public static let invalidToken = UseCaseError.invalid(field: "token", "is invalid, expired or already used")

    public func callAsFunction(token: String, newPassword: String, context: AuditContext = .none) async throws {
        let password: Password
        do { password = try Password(newPassword, field: "new_password") } catch { throw UseCaseError.invalid(error) }
        guard let claims = links.claims(of: token), claims.purpose == .resetPassword, claims.expiresAt > clock.now(),
            let user = try await users.user(id: claims.account),
            links.verify(token, binding: user.passwordHash.encoded)
        else { throw Self.invalidToken }
        let hash = try await hasher.hash(password)
        let now = clock.now()
        let swapped = try await users.resetPassword(
            to: hash, for: user.id, ifStill: user.passwordHash, at: now,
            audit: AuditRecord(
                at: now, action: .passwordReset, actor: user.id, account: user.id, context: context,
                details: ["sessions": "revoked"]))
        guard swapped else { throw Self.invalidToken }
        try await revoker.revokeAll(of: user.id, except: nil, reason: .passwordChange, now: now)
        await GetProfile.invalidate(user.id, in: cache, changedAt: now)
    }
}
