public import Domain
import Foundation
public import Ports

/// `POST /auth/mfa`: the second step of a login. The challenge token from the password
/// step and a current code (or one recovery code) yield the usual tokens. A challenge
/// lives a few minutes, takes a few attempts and works once; every attempt also counts
/// against the account, so new challenges do not buy new guesses.
public struct CompleteMFALogin: Sendable {
    let mfa: MFAComponents
    let users: any UserRepository
    let tokens: SessionTokens

    public init(mfa: MFAComponents, users: any UserRepository, tokens: SessionTokens) {
        self.mfa = mfa
        self.users = users
        self.tokens = tokens
    }

    public enum Proof: Sendable {
        case code(String)
        case recoveryCode(String)
    }

    public func callAsFunction(mfaToken: String, proof: Proof, context: AuditContext = .none) async throws -> IssuedTokens {
        let now = mfa.clock.now()
        guard let hash = mfa.challenges.hash(mfaToken),
            case .open(let userID) = try await mfa.store.attemptChallenge(hash, now: now)
        else { throw UseCaseError.unauthenticated }
        try await mfa.countAttempt(userID, now: now)
        guard let user = try await users.user(id: userID), let factor = try await mfa.store.factor(of: userID) else {
            throw UseCaseError.unauthenticated
        }
        let factorUsed: String
        switch proof {
        case .code(let code):
            guard try await mfa.acceptCode(code, for: factor, now: now, context: context) else {
                throw UseCaseError.unauthenticated
            }
            factorUsed = "totp"
        case .recoveryCode(let code):
            let record = AuditRecord(
                at: now, action: .recoveryCodeUsed, actor: userID, account: userID, context: context)
            guard let codeHash = mfa.recovery.hash(code),
                try await mfa.store.useRecoveryCode(userID, codeHash, at: now, audit: record)
            else {
                try await mfa.recordFailure(userID, reason: "wrong_recovery_code", now: now, context: context)
                throw UseCaseError.unauthenticated
            }
            factorUsed = "recovery_code"
        }
        // Spent exactly once, even when two requests raced here with right codes.
        guard try await mfa.store.spendChallenge(hash) else { throw UseCaseError.unauthenticated }
        return try await tokens.startSession(for: user, loginFrom: context, factor: factorUsed)
    }
}
