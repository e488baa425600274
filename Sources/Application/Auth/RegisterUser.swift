public import Domain
import Foundation
public import Ports

/// Creates an account and logs it in.
public struct RegisterUser: Sendable {
    let users: any UserRepository
    let hasher: any PasswordHasher
    let tokens: SessionTokens
    let clock: any WallClock
    let ids: any IDGenerator
    let bootstrapAdmin: BootstrapAdminRule

    public init(
        users: any UserRepository, hasher: any PasswordHasher, tokens: SessionTokens,
        clock: any WallClock, ids: any IDGenerator, bootstrapAdmin: BootstrapAdminRule
    ) {
        self.users = users
        self.hasher = hasher
        self.tokens = tokens
        self.clock = clock
        self.ids = ids
        self.bootstrapAdmin = bootstrapAdmin
    }

    public func callAsFunction(
        email rawEmail: String, password rawPassword: String, username rawUsername: String?,
        context: AuditContext = .none
    ) async throws -> IssuedTokens {
        var problems = ValidationCollector()
        let email = problems.check { () throws(ValidationFailure) in try Email(rawEmail) }
        let password = problems.check { () throws(ValidationFailure) in try Password(rawPassword) }
        let username = rawUsername.flatMap { raw in problems.check { () throws(ValidationFailure) in try Username(raw) } }
        do { try problems.throwIfAny() } catch { throw UseCaseError.invalid(error) }
        guard let email, let password else { throw UseCaseError.invalid(field: "email", "is required") }

        let hash = try await hasher.hash(password)
        let now = clock.now()
        let candidate = User(
            id: UserID(ids.next()), email: email, username: username, role: .user,
            passwordHash: hash, createdAt: now, updatedAt: now)
        let user: User
        do {
            user = try await users.insert(candidate, promoteIfNoAdmin: bootstrapAdmin.isEligible(email)) { stored in
                .registration(of: stored, context: context)
            }
        } catch PortError.duplicate {
            throw UseCaseError.conflict("email is already registered")
        }
        return try await tokens.startSession(for: user, loginFrom: nil)
    }
}
