public import Domain
public import Foundation
public import Ports
import Synchronization

/// Two-factor state in memory (embedded mode and tests), auditing into the shared trail.
public final class InMemoryMFAStore: MFAStore {
    private struct Challenge {
        let user: UserID
        let expiresAt: Date
        var attemptsLeft: Int
    }

    private struct State {
        var factors: [UserID: TOTPFactor] = [:]
        var codes: [UserID: [RecoveryCodeHash: Date?]] = [:]
        var challenges: [RefreshTokenHash: Challenge] = [:]
    }

    private let state = Mutex(State())
    private let audit: InMemoryAuditTrail

    public init(audit: InMemoryAuditTrail = InMemoryAuditTrail()) { self.audit = audit }

    public func factor(of user: UserID) async throws -> TOTPFactor? { state.withLock { $0.factors[user] } }

    public func beginEnrolment(_ user: UserID, secret: TOTPSecret, at now: Date) async throws {
        try state.withLock { state in
            if state.factors[user]?.isConfirmed == true { throw PortError.duplicate }
            state.factors[user] = TOTPFactor(userID: user, secret: secret, createdAt: now, confirmedAt: nil, lastUsedStep: 0)
        }
    }

    public func confirm(
        _ user: UserID, step: Int64, recoveryCodes: [RecoveryCodeHash], at now: Date, audit record: AuditRecord
    ) async throws {
        try state.withLock { state in
            guard let pending = state.factors[user], !pending.isConfirmed else { throw PortError.notFound }
            state.factors[user] = TOTPFactor(
                userID: user, secret: pending.secret, createdAt: pending.createdAt, confirmedAt: now, lastUsedStep: step)
            state.codes[user] = Dictionary(uniqueKeysWithValues: recoveryCodes.map { ($0, nil) })
            audit.write([record])
        }
    }

    public func useStep(_ user: UserID, step: Int64) async throws -> Bool {
        state.withLock { state in
            guard let factor = state.factors[user], factor.isConfirmed, step > factor.lastUsedStep else { return false }
            state.factors[user] = TOTPFactor(
                userID: user, secret: factor.secret, createdAt: factor.createdAt, confirmedAt: factor.confirmedAt,
                lastUsedStep: step)
            return true
        }
    }

    public func useRecoveryCode(_ user: UserID, _ code: RecoveryCodeHash, at now: Date, audit record: AuditRecord)
        async throws -> Bool
    {
        state.withLock { state in
            guard state.factors[user]?.isConfirmed == true, let entry = state.codes[user]?[code], entry == nil else {
                return false
            }
            state.codes[user]?[code] = now
            audit.write([record])
            return true
        }
    }

    public func unusedRecoveryCodes(of user: UserID) async throws -> Int {
        state.withLock { state in state.codes[user]?.values.filter { $0 == nil }.count ?? 0 }
    }

    public func remove(_ user: UserID, audit record: AuditRecord) async throws {
        state.withLock { state in
            state.factors[user] = nil
            state.codes[user] = nil
            state.challenges = state.challenges.filter { $0.value.user != user }
            audit.write([record])
        }
    }

    public func createChallenge(_ token: RefreshTokenHash, user: UserID, expiresAt: Date, maxAttempts: Int) async throws {
        state.withLock { state in
            state.challenges[token] = Challenge(user: user, expiresAt: expiresAt, attemptsLeft: maxAttempts)
        }
    }

    public func attemptChallenge(_ token: RefreshTokenHash, now: Date) async throws -> MFAChallengeAttempt {
        state.withLock { state in
            guard var challenge = state.challenges[token], challenge.expiresAt > now, challenge.attemptsLeft > 0 else {
                return .closed
            }
            challenge.attemptsLeft -= 1
            state.challenges[token] = challenge
            return .open(challenge.user)
        }
    }

    public func spendChallenge(_ token: RefreshTokenHash) async throws -> Bool {
        state.withLock { state in state.challenges.removeValue(forKey: token) != nil }
    }

    public func purge(before cutoff: Date) async throws -> Int {
        state.withLock { state in
            let before = state.challenges.count
            state.challenges = state.challenges.filter { $0.value.expiresAt >= cutoff }
            var removed = before - state.challenges.count
            for (user, codes) in state.codes {
                let kept = codes.filter { entry in entry.value.map { $0 >= cutoff } ?? true }
                removed += codes.count - kept.count
                state.codes[user] = kept
            }
            return removed
        }
    }
}
