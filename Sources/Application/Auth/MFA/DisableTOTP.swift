public import Domain
import Foundation
public import Ports

/// `DELETE /users/me/mfa/totp`: turning two-factor login off takes the password and a
/// current code, and ends every other session of the account.
public struct DisableTOTP: Sendable {
    let mfa: MFAComponents
    let users: any UserRepository
    let hasher: any PasswordHasher
    let revoker: SessionRevoker

    public init(
        mfa: MFAComponents, users: any UserRepository, hasher: any PasswordHasher, sessions: any SessionStore,
        denylist: any TokenDenylist, settings: AuthSettings
    ) {
        self.mfa = mfa
        self.users = users
        self.hasher = hasher
        self.revoker = SessionRevoker(
            sessions: sessions, denylist: denylist, accessTokenTTLSeconds: settings.accessTokenTTLSeconds)
    }

    public func callAsFunction(caller: AccessClaims, password: String, code: String, context: AuditContext = .none)
        async throws
    {
        let now = mfa.clock.now()
        try await mfa.countAttempt(caller.userID, now: now)
        guard let user = try await users.user(id: caller.userID) else { throw UseCaseError.unauthenticated }
        guard let factor = try await mfa.store.factor(of: user.id), factor.isConfirmed else {
            throw UseCaseError.conflict("two-factor login is not on")
        }
        guard try await hasher.verify(password, against: user.passwordHash) else {
            try await mfa.recordFailure(user.id, reason: "wrong_password", now: now, context: context)
            throw UseCaseError.wrongCredentials("wrong password or code")
        }
        guard try await mfa.acceptCode(code, for: factor, now: now, context: context) else {
            throw UseCaseError.wrongCredentials("wrong password or code")
        }
        try await mfa.store.remove(
            user.id,
            audit: AuditRecord(
                at: now, action: .mfaDisabled, actor: user.id, account: user.id, context: context,
                details: ["factor": "totp", "other_sessions": "revoked"]))
        try await revoker.revokeAll(of: user.id, except: caller.sessionID, reason: .mfaChange, now: now)
    }
}
