import Domain
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

    public init(users: any UserRepository, hasher: any PasswordHasher, tokens: SessionTokens, clock: any WallClock) {
        self.users = users
        self.hasher = hasher
        self.tokens = tokens
        self.clock = clock
    }

    public func callAsFunction(email rawEmail: String, password: String) async throws -> IssuedTokens {
        guard let email = try? Email(rawEmail), let user = try await users.user(email: email) else {
            try await hasher.verifyDecoy(password)
            throw UseCaseError.unauthenticated
        }
        guard try await hasher.verify(password, against: user.passwordHash) else {
            throw UseCaseError.unauthenticated
        }
        var current = user
        if hasher.needsRehash(user.passwordHash), let valid = try? Password(password) {
            // The configured cost changed: upgrade the stored hash now that we hold the
            // password. A failure here must not fail the login.
            if let upgraded = try? await hasher.hash(valid) {
                try? await users.updatePasswordHash(upgraded, for: user.id, at: clock.now())
                current.passwordHash = upgraded
            }
        }
        return try await tokens.startSession(for: current)
    }
}
