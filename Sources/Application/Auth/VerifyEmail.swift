public import Domain
import Foundation
public import Ports

/// `POST /auth/verify-email`: confirms the address with the token mailed at
/// registration. The token is bound to the address; an address already confirmed makes
/// it used.
public struct VerifyEmail: Sendable {
    let users: any UserRepository
    let links: any LinkTokens
    let clock: any WallClock
    let cache: any Cache

    public init(users: any UserRepository, links: any LinkTokens, cache: any Cache, clock: any WallClock) {
        self.cache = cache
        self.users = users
        self.links = links
        self.clock = clock
    }

    public func callAsFunction(token: String, context: AuditContext = .none) async throws {
        let now = clock.now()
        guard let claims = links.claims(of: token), claims.purpose == .verifyEmail, claims.expiresAt > now,
            let user = try await users.user(id: claims.account), user.emailVerifiedAt == nil,
            links.verify(token, binding: user.email.value)
        else { throw ResetPassword.invalidToken }
        let confirmed = try await users.markEmailVerified(
            user.id, at: now,
            audit: AuditRecord(
                at: now, action: .emailVerified, actor: user.id, account: user.id, context: context,
                details: ["email": user.email.value]))
        guard confirmed else { throw ResetPassword.invalidToken }
        // The profile shows the confirmation at once, not when its cache entry expires.
        await GetProfile.invalidate(user.id, in: cache, changedAt: now)
    }
}
