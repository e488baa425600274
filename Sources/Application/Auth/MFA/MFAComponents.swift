public import Domain
import Foundation
public import Ports

/// The two-factor settings of a deployment.
public struct MFASettings: Sendable {
    /// False when no key to seal secrets is configured: enrolment is refused (422).
    public var available: Bool
    /// The name authenticator apps show beside the account.
    public var issuer: String
    public var challengeTTLSeconds: Int
    /// Codes one challenge takes before it is spent (a new login starts another).
    public var challengeAttempts: Int
    public var recoveryCodeCount: Int
    /// Code attempts per account (login, confirmation, disabling), across challenges.
    public var attemptsPerAccount: RateLimitPolicy?

    public init(
        available: Bool, issuer: String = "CloudTask", challengeTTLSeconds: Int = 300, challengeAttempts: Int = 5,
        recoveryCodeCount: Int = 10, attemptsPerAccount: RateLimitPolicy? = RateLimitPolicies().mfaAttempts
    ) {
        self.available = available
        self.issuer = issuer
        self.challengeTTLSeconds = challengeTTLSeconds
        self.challengeAttempts = challengeAttempts
        self.recoveryCodeCount = recoveryCodeCount
        self.attemptsPerAccount = attemptsPerAccount
    }
}

/// What every two-factor use case shares: the store, the code arithmetic, the challenge
/// tokens, the per-account attempt limit and the audit trail.
public struct MFAComponents: Sendable {
    let store: any MFAStore
    let codes: any OneTimeCodes
    let recovery: any RecoveryCodeMinter
    /// Mints and hashes the challenge tokens (`mfa_…`), like refresh tokens.
    let challenges: any RefreshTokenMinter
    let qr: any QRCodeRenderer
    let limiter: any RateLimiter
    let audit: any AuditTrail
    let clock: any WallClock
    let settings: MFASettings

    public init(
        store: any MFAStore, codes: any OneTimeCodes, recovery: any RecoveryCodeMinter, challenges: any RefreshTokenMinter,
        qr: any QRCodeRenderer, limiter: any RateLimiter, audit: any AuditTrail, clock: any WallClock, settings: MFASettings
    ) {
        self.store = store
        self.codes = codes
        self.recovery = recovery
        self.challenges = challenges
        self.qr = qr
        self.limiter = limiter
        self.audit = audit
        self.clock = clock
        self.settings = settings
    }

    /// Counts one code attempt against the account; throws 429 past the limit.
    func countAttempt(_ user: UserID, now: Date) async throws {
        guard let policy = settings.attemptsPerAccount else { return }
        let decision = try await limiter.check(policy, key: "mfa:\(user)", now: now)
        if !decision.allowed { throw UseCaseError.rateLimited(retryAfterSeconds: decision.retryAfterSeconds ?? 60) }
    }

    /// Accepts a current code once: the step it matched must be later than the last one
    /// used. A failure is recorded with its reason.
    func acceptCode(_ code: String, for factor: TOTPFactor, now: Date, context: AuditContext) async throws -> Bool {
        guard factor.isConfirmed, let step = codes.matchingStep(code, secret: factor.secret, at: now) else {
            try await recordFailure(factor.userID, reason: "wrong_code", now: now, context: context)
            return false
        }
        guard try await store.useStep(factor.userID, step: step) else {
            try await recordFailure(factor.userID, reason: "code_already_used", now: now, context: context)
            return false
        }
        return true
    }

    func recordFailure(_ user: UserID, reason: String, now: Date, context: AuditContext) async throws {
        try await audit.append(
            AuditRecord(
                at: now, action: .mfaFailed, outcome: .failure, actor: nil, account: user, context: context,
                details: ["reason": reason]))
    }

    /// Starts a challenge for a login whose password was right: throws `mfaRequired`.
    func challenge(_ user: UserID, now: Date) async throws -> Never {
        let (token, hash) = challenges.mint()
        try await store.createChallenge(
            hash, user: user, expiresAt: now.addingTimeInterval(Double(settings.challengeTTLSeconds)),
            maxAttempts: settings.challengeAttempts)
        throw UseCaseError.mfaRequired(token: token, expiresIn: settings.challengeTTLSeconds)
    }
}
