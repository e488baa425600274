public import Domain
public import Foundation

/// Stores accounts.
public protocol UserRepository: Sendable {
    /// Inserts a new account. When `promoteIfNoAdmin` is true the account is stored as
    /// `admin` if, and only if, no admin exists at that moment, decided atomically
    /// (two racing registrations cannot both become admin).
    /// Throws `PortError.duplicate` when the email is taken. `audit` makes the entry for
    /// the account as stored (with its final role), written in the same transaction.
    func insert(_ user: User, promoteIfNoAdmin: Bool, audit: @escaping @Sendable (User) -> AuditRecord) async throws -> User
    func user(id: UserID) async throws -> User?
    func user(email: Email) async throws -> User?
    /// Replaces the password hash, with `audit` (if any) in the same transaction. Throws
    /// `PortError.notFound` for an unknown id.
    func updatePasswordHash(_ hash: PasswordHash, for id: UserID, at now: Date, audit: AuditRecord?) async throws
    /// Replaces the password hash only if it is still `expected` (a reset link is made for
    /// one hash), confirms the address if it was not, and writes `audit`, in one
    /// transaction. False when the hash had changed (the link was used) or the account is gone.
    func resetPassword(
        to hash: PasswordHash, for id: UserID, ifStill expected: PasswordHash, at now: Date, audit: AuditRecord
    ) async throws -> Bool
    /// Confirms the account's address, with `audit` in the same transaction. False when it
    /// was already confirmed (or the account is gone).
    func markEmailVerified(_ id: UserID, at now: Date, audit: AuditRecord) async throws -> Bool
    /// Sets the role of the account with this email; `audit` makes the entry from the role
    /// before and the account after, written in the same transaction. Throws `PortError.notFound`.
    func setRole(
        _ role: Role, forEmail email: Email, at now: Date,
        audit: @escaping @Sendable (_ previous: Role, _ user: User) -> AuditRecord
    ) async throws -> User
}
