public import Domain
import Foundation
public import Ports

/// Exchanges an email and password for a new session. An unknown email and a wrong
/// password get the same answer after the same bcrypt work, so neither the body nor
/// the timing tells an attacker which emails have accounts.
public struct Login: Sendable {
    let users: any UserRepository
    let hasher: any PasswordHasher
    let tokens: SessionTokens
    let clock: any WallClock
    let audit: any AuditTrail
    let mfa: MFAComponents
    /// Refuse accounts whose address is not confirmed (`CLOUDTASK_REQUIRE_VERIFIED_EMAIL`).
    let requireVerifiedEmail: Bool

    public init(
        users: any UserRepository, hasher: any PasswordHasher, tokens: SessionTokens, clock: any WallClock,
        audit: any AuditTrail, mfa: MFAComponents, requireVerifiedEmail: Bool = false
    ) {
        self.requireVerifiedEmail = requireVerifiedEmail
        self.users = users
        self.hasher = hasher
        self.tokens = tokens
        self.clock = clock
        self.audit = audit
        self.mfa = mfa
    }

    public func callAsFunction(email rawEmail: String, password: String, context: AuditContext = .none) async throws
        -> IssuedTokens
    {
        let email = try? Email(rawEmail)
        guard let email, let user = try await users.user(email: email) else {
            try await hasher.verifyDecoy(password)
            // The address tried is kept (it is what an operator looks for); a string that
            // is not an address is not.
            try await audit.append(
                AuditRecord(
                    at: clock.now(), action: .loginFailed, outcome: .failure, actor: nil, account: nil, context: context,
                    details: ["reason": "unknown_account", "email": email?.value ?? "(not an address)"]))
            throw UseCaseError.unauthenticated
        }
        guard try await hasher.verify(password, against: user.passwordHash) else {
            try await audit.append(
                AuditRecord(
                    at: clock.now(), action: .loginFailed, outcome: .failure, actor: nil, account: user.id,
                    context: context, details: ["reason": "wrong_password"]))
            throw UseCaseError.unauthenticated
        }
        // Said only to whoever knows the password: it reveals nothing to anyone else.
        if requireVerifiedEmail, user.emailVerifiedAt == nil {
            try await audit.append(
                AuditRecord(
                    at: clock.now(), action: .loginFailed, outcome: .failure, actor: nil, account: user.id,
                    context: context, details: ["reason": "email_unverified"]))
            throw UseCaseError.emailUnverified
        }
        var current = user
        if hasher.needsRehash(user.passwordHash), let valid = try? Password(password) {
            // The configured cost changed: upgrade the stored hash now that we hold the
            // password. A failure here must not fail the login.
            if let upgraded = try? await hasher.hash(valid) {
                try? await users.updatePasswordHash(upgraded, for: user.id, at: clock.now(), audit: nil)
                current.passwordHash = upgraded
            }
        }
        // A second factor: no session yet, only a challenge for `POST /auth/mfa`.
        if let factor = try await mfa.store.factor(of: current.id), factor.isConfirmed {
            try await mfa.challenge(current.id, now: clock.now())
        }
        return try await tokens.startSession(for: current, loginFrom: context)
    }
}
