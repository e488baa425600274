public import Domain
public import Foundation

/// A TOTP shared secret (RFC 6238): random bytes, shown to the user once (base32) and
/// kept by the store (encrypted at rest by the real one).
public struct TOTPSecret: Hashable, Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// An account's authenticator: pending until a first code confirms it.
public struct TOTPFactor: Hashable, Sendable {
    public let userID: UserID
    public let secret: TOTPSecret
    public let createdAt: Date
    public let confirmedAt: Date?
    /// The last time step a code was accepted for: a code is accepted once, and never
    /// one of an earlier step (replay refused).
    public let lastUsedStep: Int64

    public init(userID: UserID, secret: TOTPSecret, createdAt: Date, confirmedAt: Date?, lastUsedStep: Int64) {
        self.userID = userID
        self.secret = secret
        self.createdAt = createdAt
        self.confirmedAt = confirmedAt
        self.lastUsedStep = lastUsedStep
    }

    public var isConfirmed: Bool { confirmedAt != nil }
}

/// A recovery code as stored: only a keyed hash.
public struct RecoveryCodeHash: Hashable, Sendable {
    public let value: String
    public init(_ value: String) { self.value = value }
}

/// Where a pending two-factor login stands after one more attempt.
public enum MFAChallengeAttempt: Hashable, Sendable {
    /// The challenge holds: check the code for this account.
    case open(UserID)
    /// Unknown, expired, spent, or out of attempts.
    case closed
}

/// Two-factor state: authenticators, recovery codes, and the challenges of logins that
/// passed the password step. Every change that is audited writes its entry in the same
/// transaction.
public protocol MFAStore: Sendable {
    func factor(of user: UserID) async throws -> TOTPFactor?
    /// Starts (or starts over) an unconfirmed enrolment. Throws `PortError.duplicate`
    /// when the account has a confirmed authenticator.
    func beginEnrolment(_ user: UserID, secret: TOTPSecret, at now: Date) async throws
    /// Confirms the pending enrolment, marking `step` used and replacing the recovery
    /// codes. Throws `PortError.notFound` when nothing is pending.
    func confirm(_ user: UserID, step: Int64, recoveryCodes: [RecoveryCodeHash], at now: Date, audit: AuditRecord)
        async throws
    /// Marks `step` used if it is later than the last one used; false for a replay (or no
    /// confirmed authenticator).
    func useStep(_ user: UserID, step: Int64) async throws -> Bool
    /// Spends one recovery code; false when it is not one of the account's unused codes.
    func useRecoveryCode(_ user: UserID, _ code: RecoveryCodeHash, at now: Date, audit: AuditRecord) async throws -> Bool
    func unusedRecoveryCodes(of user: UserID) async throws -> Int
    /// Removes the authenticator and the recovery codes (and the account's challenges).
    func remove(_ user: UserID, audit: AuditRecord) async throws

    /// Records a challenge for `user` that one of `maxAttempts` attempts may complete until `expiresAt`.
    func createChallenge(_ token: RefreshTokenHash, user: UserID, expiresAt: Date, maxAttempts: Int) async throws
    /// Counts one attempt at a challenge.
    func attemptChallenge(_ token: RefreshTokenHash, now: Date) async throws -> MFAChallengeAttempt
    /// Spends the challenge after a correct code; false when another request spent it first.
    func spendChallenge(_ token: RefreshTokenHash) async throws -> Bool
    /// Deletes challenges and spent recovery codes older than `cutoff`.
    func purge(before cutoff: Date) async throws -> Int
}
