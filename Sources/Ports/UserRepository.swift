public import Domain
public import Foundation

/// Stores accounts.
public protocol UserRepository: Sendable {
    /// Inserts a new account. When `promoteIfNoAdmin` is true the account is stored as
    /// `admin` if, and only if, no admin exists at that moment, decided atomically
    /// (two racing registrations cannot both become admin).
    /// Throws `PortError.duplicate` when the email is taken.
    func insert(_ user: User, promoteIfNoAdmin: Bool) async throws -> User
    func user(id: UserID) async throws -> User?
    func user(email: Email) async throws -> User?
    /// Replaces the password hash. Throws `PortError.notFound` for an unknown id.
    func updatePasswordHash(_ hash: PasswordHash, for id: UserID, at now: Date) async throws
    /// Sets the role of the account with this email. Throws `PortError.notFound`.
    func setRole(_ role: Role, forEmail email: Email, at now: Date) async throws -> User
}
