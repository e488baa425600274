public import Domain
import Foundation
public import Ports

/// Replaces the caller's password after checking the current one, and ends every
/// other session of the account (whoever else held it is out).
public struct ChangePassword: Sendable {
    let users: any UserRepository
    let hasher: any PasswordHasher
    let revoker: SessionRevoker
    let clock: any WallClock
    let audit: any AuditTrail

    public init(
        users: any UserRepository, sessions: any SessionStore, denylist: any TokenDenylist,
        hasher: any PasswordHasher, clock: any WallClock, settings: AuthSettings, audit: any AuditTrail
    ) {
        self.audit = audit
        self.users = users
        self.hasher = hasher
        self.revoker = SessionRevoker(
            sessions: sessions, denylist: denylist, accessTokenTTLSeconds: settings.accessTokenTTLSeconds)
        self.clock = clock
    }

    public func callAsFunction(
        caller: AccessClaims, currentPassword: String, newPassword: String, context: AuditContext = .none
    ) async throws {
        let password: Password
        do { password = try Password(newPassword, field: "new_password") } catch { throw UseCaseError.invalid(error) }
        guard let user = try await users.user(id: caller.userID) else { throw UseCaseError.unauthenticated }
        guard try await hasher.verify(currentPassword, against: user.passwordHash) else {
            try await audit.append(
                AuditRecord(
                    at: clock.now(), action: .passwordChanged, outcome: .failure, actor: user.id, account: user.id,
                    context: context, details: ["reason": "wrong_password"]))
            throw UseCaseError.unauthenticated
        }
        let hash = try await hasher.hash(password)
        let now = clock.now()
        try await users.updatePasswordHash(
            hash, for: user.id, at: now,
            audit: AuditRecord(
                at: now, action: .passwordChanged, actor: user.id, account: user.id, context: context,
                details: ["other_sessions": "revoked"]))
        try await revoker.revokeAll(of: user.id, except: caller.sessionID, reason: .passwordChange, now: now)
    }
}
